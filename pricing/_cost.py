"""Cost of a call from its token classes, exactly, in Decimal. No rounding anywhere."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pricing._table import PriceTable, load_bundled_table
from pricing._types import (
    MISSING_RATE,
    NO_USAGE,
    UNPRICED_MODEL,
    Cost,
    CostDiff,
    ModelPrice,
    Usage,
)

_TIER_NAMES: dict[str, str] = {
    "batch": "batch",
    "batches": "batch",
    "flex": "flex",
    "priority": "priority",
}
_ZERO = Decimal(0)


def service_tier_name(service_tier: str | None) -> str:
    """Provider spellings -> ours; anything else (`default`, `auto`, `scale`...) is standard."""
    return _TIER_NAMES.get((service_tier or "").lower(), "standard")


def price_call(
    model: str | None,
    usage: Usage,
    *,
    provider: str | None = None,
    service_tier: str | None = None,
    table: PriceTable | None = None,
    azure_deployments: Mapping[str, str] | None = None,
) -> Cost:
    """The exact cost of one call, or `total_usd=None` with `unpriced_reason`."""
    table = table if table is not None else load_bundled_table()
    entry = table.resolve(model, provider, azure_deployments) if model else None
    if entry is None:
        return Cost(None, {}, table.version, None, UNPRICED_MODEL)
    tier = service_tier_name(service_tier)
    tier = tier if tier in entry.effective else "standard"
    if not any(usage.counts()):
        return Cost(None, {}, table.version, entry.key, NO_USAGE, tier, entry.effective_date)
    return _cost(entry, usage, tier, table.version)


def reprice(usage: Usage, model: str | None, provider: str | None, table: PriceTable) -> Cost:
    """Recompute a stored call's cost with another table (the normal computation)."""
    return price_call(model, usage, provider=provider, table=table)


def diff_costs(old: Cost, new: Cost) -> CostDiff:
    return CostDiff(old.total_usd, new.total_usd, old.price_version, new.price_version)


def max_output_tokens(
    model: str, *, provider: str | None = None, table: PriceTable | None = None
) -> int | None:
    table = table if table is not None else load_bundled_table()
    entry = table.resolve(model, provider)
    return entry.max_output_tokens if entry is not None else None


def estimate_worst_case_cost(
    model: str | None,
    input_tokens: int,
    max_output_tokens: int | None,
    *,
    provider: str | None = None,
    table: PriceTable | None = None,
    service_tier: str | None = None,
) -> Decimal | None:
    """Upper bound for a budget check: every allowed output token generated, charged at the
    dearer of the output and reasoning rates. None if the model or its output cap is unknown."""
    table = table if table is not None else load_bundled_table()
    entry = table.resolve(model, provider) if model else None
    if entry is None:
        return None
    output = max_output_tokens if max_output_tokens is not None else entry.max_output_tokens
    if output is None:
        return None
    tier = service_tier_name(service_tier)
    tier = tier if tier in entry.effective else "standard"
    plain = _cost(entry, Usage(input=input_tokens, output=output), tier, "").total_usd
    thinking = Usage(input=input_tokens, output=output, reasoning=output)
    reasoning = _cost(entry, thinking, tier, "").total_usd
    if plain is None or reasoning is None:
        return None
    return max(plain, reasoning)


def billed_counts(usage: Usage) -> dict[str, int]:
    """Disjoint billed classes from the nested convention (input and output are totals)."""
    uncached = usage.input - usage.cached_read - usage.cache_write_5m - usage.cache_write_1h
    counts = {
        "input": max(0, uncached - usage.audio_input),
        "cached_read": usage.cached_read,
        "cache_write_5m": usage.cache_write_5m,
        "cache_write_1h": usage.cache_write_1h,
        "audio_input": usage.audio_input,
        "output": max(0, usage.output - usage.reasoning - usage.audio_output),
        "reasoning": usage.reasoning,
        "audio_output": usage.audio_output,
    }
    return {c: n for c, n in counts.items() if n}


def _cost(entry: ModelPrice, usage: Usage, tier: str, version: str) -> Cost:
    tiers = entry.effective[tier]
    rates = tiers[-1][1]
    for above, candidate in tiers:  # thresholds descending; the last is 0
        if usage.input > above:
            rates = candidate
            break
    breakdown: dict[str, Decimal] = {}
    for rate_class, count in billed_counts(usage).items():
        rate = rates.get(rate_class)
        if rate is None:
            return Cost(None, {}, version, entry.key, MISSING_RATE, tier, entry.effective_date)
        breakdown[rate_class] = rate * count
    if "request" in rates:
        breakdown["request"] = rates["request"]
    total = sum(breakdown.values(), _ZERO)
    return Cost(total, breakdown, version, entry.key, None, tier, entry.effective_date)
