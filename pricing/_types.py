"""Value types of the pricing package: usage in, cost out, and the price records between."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal

# The token classes of a call: the one list of them (proxy adapters, the wire record, the
# price-overrides table and the API schemas take theirs from here). `input` is the whole
# prompt, cached-read and cache-write tokens included; `output` is the whole completion,
# reasoning tokens included; the finer classes are subsets of those two.
TOKEN_CLASSES: tuple[str, ...] = (
    "input",
    "output",
    "cached_read",
    "cache_write_5m",
    "cache_write_1h",
    "reasoning",
    "audio_input",
    "audio_output",
)
# Classes a rate can be published for: every token class, in USD per million tokens, and
# `request`, the one exception: USD per request.
RATE_CLASSES: tuple[str, ...] = (*TOKEN_CLASSES, "request")
SERVICE_TIERS: tuple[str, ...] = ("standard", "batch", "flex", "priority")
MILLION = Decimal(1_000_000)

# Reasons a cost is not known (Cost.unpriced_reason).
UNPRICED_MODEL = "unpriced_model"
NO_USAGE = "no_usage"
MISSING_RATE = "missing_rate"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call, a field per class of `TOKEN_CLASSES`, in that order.

    `input` is the whole prompt, cached-read and cache-write tokens included; `output` is the
    whole completion, reasoning tokens included. Audio counts are subsets of input/output too.
    """

    input: int = 0
    output: int = 0
    cached_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    reasoning: int = 0
    audio_input: int = 0
    audio_output: int = 0

    def __post_init__(self) -> None:
        if min(self.counts()) < 0:
            raise ValueError(f"token counts must be >= 0: {self!r}")

    def counts(self) -> tuple[int, ...]:
        return (
            self.input,
            self.output,
            self.cached_read,
            self.cache_write_5m,
            self.cache_write_1h,
            self.reasoning,
            self.audio_input,
            self.audio_output,
        )


@dataclass(frozen=True, slots=True)
class Cost:
    """The cost of one call: exact, or `total_usd is None` with the reason why not.

    `breakdown` maps a billed class (uncached `input`, `cached_read`, `cache_write_5m`,
    `cache_write_1h`, non-reasoning `output`, `reasoning`, `audio_input`, `audio_output`,
    `request`) to its USD amount; the values sum exactly to `total_usd`.
    """

    total_usd: Decimal | None
    breakdown: dict[str, Decimal]
    price_version: str
    priced_model: str | None
    unpriced_reason: str | None
    service_tier: str = "standard"
    effective_date: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rates:
    """A rate per class of `RATE_CLASSES`: USD per million tokens (`request`: USD per
    request); None means not published (not given, for an override)."""

    input: Decimal | None = None
    output: Decimal | None = None
    cached_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    reasoning: Decimal | None = None
    audio_input: Decimal | None = None
    audio_output: Decimal | None = None
    request: Decimal | None = None

    def get(self, rate_class: str) -> Decimal | None:
        value: Decimal | None = getattr(self, rate_class)
        return value

    def published(self) -> dict[str, Decimal]:
        """The rates given, by class, in `RATE_CLASSES` order."""
        return {c: v for c in RATE_CLASSES if (v := self.get(c)) is not None}


@dataclass(frozen=True, slots=True)
class RateSet(Rates):
    """Published rates for one service tier above one context threshold (input tokens)."""

    above: int = 0


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One catalogue entry: what the model is and what it costs, per service tier."""

    key: str
    provider: str
    mode: str
    effective_date: str
    rates: dict[str, tuple[RateSet, ...]]  # tier -> rate sets sorted by `above`, ascending
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    # Per-token rates with fallbacks applied, per tier, thresholds descending. Derived.
    effective: dict[str, tuple[tuple[int, dict[str, Decimal]], ...]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "effective", effective_rates(self.rates))

    def tiers(self) -> tuple[str, ...]:
        return tuple(t for t in SERVICE_TIERS if t in self.rates)


@dataclass(frozen=True, slots=True)
class PriceOverride(Rates):
    """An org's own price for a model: a negotiated discount, or rates for a private model.

    `discount_percent` scales every rate the model already has; the rates given (`published`)
    then replace the classes they name.
    """

    model: str
    provider: str | None = None
    service_tier: str = "standard"
    above: int = 0
    discount_percent: Decimal | None = None
    effective_date: str | None = None
    mode: str = "chat"
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class CostDiff:
    """Old versus new cost of the same call, for recomputation reports."""

    old_total: Decimal | None
    new_total: Decimal | None
    old_version: str
    new_version: str

    @property
    def delta(self) -> Decimal | None:
        if self.old_total is None or self.new_total is None:
            return None
        return self.new_total - self.old_total

    @property
    def changed(self) -> bool:
        return self.old_total != self.new_total


# Effective rates ----------------------------------------------------------------------------------
# Fallback rules that turn published rates into a complete per-token rate for each class.
#
# For class `c`, service tier `s` and context threshold `t` the rate is the first published of:
# `s` at the highest threshold <= `t`, then `standard` at the highest threshold <= `t`; if the
# class is published nowhere, the class it is a subset of (see `CLASS_FALLBACK`).

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
            per_token[rate_class] = decimal_of(
                str(value) if rate_class == "request" else str(value / MILLION)
            )
    return per_token


# Four thousand catalogue entries share a few thousand distinct rates: one object per distinct
# value (keyed by its exact text, so 1.0 and 1 stay apart) instead of ~80,000 Decimals.
@functools.cache
def decimal_of(text: str) -> Decimal:
    """The one shared ``Decimal`` for this exact text (immutable, so safe to share)."""
    return Decimal(text)


def _first_published(
    chain_sets: tuple[tuple[RateSet, ...], ...], threshold: int, rate_class: str
) -> Decimal | None:
    for sets in chain_sets:
        for rate_set in sorted(sets, key=lambda r: r.above, reverse=True):
            if rate_set.above <= threshold and (value := rate_set.get(rate_class)) is not None:
                return value
    return None
