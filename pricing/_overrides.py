"""Org price overrides: negotiated discounts on catalogue models, and private models."""

from __future__ import annotations

import dataclasses
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from decimal import Decimal
from typing import cast

from pricing._resolve import PROVIDER_PREFIXES
from pricing._types import RATE_CLASSES, SERVICE_TIERS, ModelPrice, PriceOverride, RateSet

HUNDRED = Decimal(100)


def apply_overrides(
    models: Mapping[str, ModelPrice], overrides: list[PriceOverride], default_date: str
) -> ChainMap[str, ModelPrice]:
    """Apply overrides in order (a later one wins) and return the new model map: the entries
    they change or add (its first map) over ``models``, which is neither copied nor changed (a
    compact catalogue stays compact: only the entries an override targets are decoded).

    An override targets the catalogue entry of its provider stored under its name or under the
    name with one of the provider's catalogue prefixes (`gemini-2.5-pro` + gemini ->
    `gemini/gemini-2.5-pro`); without a provider, the entry stored under exactly that name.
    Otherwise it adds a new entry under that name.
    """
    # Never written through: a ChainMap writes to its first map only.
    result = ChainMap({}, cast(MutableMapping[str, ModelPrice], models))
    for override in overrides:
        if override.service_tier not in SERVICE_TIERS:
            raise ValueError(f"{override.model}: unknown service tier {override.service_tier!r}")
        key = _target_key(result, override)
        existing = result.get(key)
        result[key] = (
            _new_model(override, default_date)
            if existing is None
            else _overridden(existing, override, default_date)
        )
    return result


def _target_key(models: Mapping[str, ModelPrice], override: PriceOverride) -> str:
    provider = override.provider
    if provider is None:
        return override.model
    for prefix in PROVIDER_PREFIXES.get(provider, ("",)):
        entry = models.get(prefix + override.model)
        if entry is not None and entry.provider == provider:
            return entry.key
    taken = models.get(override.model)
    if taken is not None and taken.provider != provider:
        raise ValueError(
            f"{override.model}: catalogue entry belongs to {taken.provider}, not {provider}; "
            "name the catalogue key of the entry to override"
        )
    return override.model


def _new_model(override: PriceOverride, default_date: str) -> ModelPrice:
    if override.discount_percent is not None:
        raise ValueError(f"{override.model}: a discount needs a catalogue model to apply to")
    if override.service_tier != "standard" or not override.published():
        raise ValueError(f"{override.model}: a new model needs standard-tier rates")
    return ModelPrice(
        key=override.model,
        provider=override.provider or "custom",
        mode=override.mode,
        effective_date=override.effective_date or default_date,
        rates={"standard": (RateSet(above=override.above, **override.published()),)},
        max_input_tokens=override.max_input_tokens,
        max_output_tokens=override.max_output_tokens,
    )


def _overridden(model: ModelPrice, override: PriceOverride, default_date: str) -> ModelPrice:
    rates = dict(model.rates)
    if override.discount_percent is not None:
        if not Decimal(0) <= override.discount_percent <= HUNDRED:
            raise ValueError(f"{override.model}: discount_percent must be within 0..100")
        factor = (HUNDRED - override.discount_percent) / HUNDRED
        rates = {tier: tuple(_scaled(r, factor) for r in sets) for tier, sets in rates.items()}
    explicit = override.published()
    if explicit:
        sets = {r.above: r for r in rates.get(override.service_tier, ())}
        current = sets.get(override.above, RateSet(above=override.above))
        sets[override.above] = _with_rates(current, explicit)
        rates[override.service_tier] = tuple(sets[a] for a in sorted(sets))
    return dataclasses.replace(
        model,
        rates=rates,
        provider=override.provider or model.provider,
        effective_date=override.effective_date or default_date,
        max_input_tokens=override.max_input_tokens or model.max_input_tokens,
        max_output_tokens=override.max_output_tokens or model.max_output_tokens,
    )


def _scaled(rate_set: RateSet, factor: Decimal) -> RateSet:
    scaled = {c: v * factor for c in RATE_CLASSES if (v := rate_set.get(c)) is not None}
    return _with_rates(rate_set, scaled)


def _with_rates(rate_set: RateSet, values: Mapping[str, Decimal]) -> RateSet:
    merged: dict[str, Decimal | None] = {c: rate_set.get(c) for c in RATE_CLASSES}
    merged.update(values)
    return RateSet(above=rate_set.above, **merged)
