"""Fallback rules that turn published rates into a complete per-token rate for each class.

For class `c`, service tier `s` and context threshold `t` the rate is the first published of:
`s` at the highest threshold <= `t`, then `standard` at the highest threshold <= `t`; if the
class is published nowhere, the class it is a subset of (see `CLASS_FALLBACK`).
"""

from __future__ import annotations

from decimal import Decimal

from pricing._types import MILLION, RATE_CLASSES, RateSet

# A class with no published rate is charged as the class it is a subset of.
CLASS_FALLBACK: dict[str, str] = {
    "cached_read": "input",
    "cache_write_5m": "input",
    "cache_write_1h": "cache_write_5m",
    "reasoning": "output",
    "audio_input": "input",
    "audio_output": "output",
}

EffectiveRates = tuple[tuple[int, dict[str, Decimal]], ...]


def effective_rates(rates: dict[str, tuple[RateSet, ...]]) -> dict[str, EffectiveRates]:
    """Per tier: (threshold, per-token rate by class), thresholds descending."""
    standard = rates.get("standard", ())
    result: dict[str, EffectiveRates] = {}
    for tier, sets in rates.items():
        chain_sets = (sets,) if tier == "standard" else (sets, standard)
        thresholds = sorted({0} | {r.above for s in chain_sets for r in s}, reverse=True)
        result[tier] = tuple((t, _rates_at(chain_sets, t)) for t in thresholds)
    return result


def _rates_at(chain_sets: tuple[tuple[RateSet, ...], ...], threshold: int) -> dict[str, Decimal]:
    published: dict[str, Decimal] = {}
    for rate_class in RATE_CLASSES:
        value = _first_published(chain_sets, threshold, rate_class)
        if value is not None:
            published[rate_class] = value
    per_token: dict[str, Decimal] = {}
    for rate_class in RATE_CLASSES:
        current: str | None = rate_class
        while current is not None and current not in published:
            current = CLASS_FALLBACK.get(current)
        if current is not None:
            value = published[current]
            per_token[rate_class] = value if rate_class == "request" else value / MILLION
    return per_token


def _first_published(
    chain_sets: tuple[tuple[RateSet, ...], ...], threshold: int, rate_class: str
) -> Decimal | None:
    for sets in chain_sets:
        for rate_set in sorted(sets, key=lambda r: r.above, reverse=True):
            if rate_set.above <= threshold and (value := rate_set.get(rate_class)) is not None:
                return value
    return None
