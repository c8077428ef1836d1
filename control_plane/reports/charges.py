"""Charges (pure): a call's cost split by billed SKU, each with quantity x unit price = cost.

A call is billed per token class (input, cached read, cache write 5m/1h, output, reasoning,
audio) plus a per-request fee where the model has one. ``pricing.billed_counts`` gives the
disjoint billed quantities; the stored breakdown gives what each class cost, so the unit price
is ``cost / quantity``, exact because the cost was computed as ``rate x quantity``.

When a call's breakdown does not add up to its stored cost exactly (an SDK reported only a
total, or a cost was quantised to the store's 10 places), the call is one charge of 1 request
at its total cost, so the export still sums to exactly what the calls table holds. An unpriced
call is charged per token class at no known price: it is marked, never shown as a zero price.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from agentops.wire.record import TokenCounts
from pricing import billed_counts

REQUEST = "request"
WHOLE_CALL = "call"  # a call whose cost has no usable breakdown
NOT_CHARGES = frozenset({"refused", "in_progress"})  # refused by our gate; not final yet


@dataclass(frozen=True)
class ChargedCall:
    """The fields of one stored call that the charges of an export need."""

    started_at: datetime
    team_id: uuid.UUID | None
    agent_id: uuid.UUID
    run_pk: uuid.UUID
    provider: str
    model: str
    service_tier: str  # standard, batch, flex or priority
    status: str
    cost_usd: Decimal | None
    price_version: str | None
    unpriced_reason: str | None
    tokens: dict[str, Any]
    breakdown: dict[str, Any]


@dataclass(frozen=True)
class ChargeKey:
    day: date
    team_id: uuid.UUID | None
    agent_id: uuid.UUID
    run_pk: uuid.UUID
    provider: str
    model: str
    service_tier: str
    charge_class: str  # a token class, "request" or "call"
    unit_price: Decimal | None  # None: unpriced
    price_version: str | None
    unpriced_reason: str | None


@dataclass
class Charge:
    key: ChargeKey
    quantity: int = 0
    calls: int = 0

    @property
    def cost(self) -> Decimal:
        price = self.key.unit_price
        return Decimal(0) if price is None else price * self.quantity


@dataclass
class ChargeSet:
    charges: list[Charge]
    unpriced_calls: int = 0  # calls with billed tokens and no price
    unpriced_tokens: int = 0


def build_charges(calls: Iterable[ChargedCall]) -> ChargeSet:
    """Charges grouped by UTC day, team, agent, run, provider, model, class and unit price."""
    charges: dict[ChargeKey, Charge] = {}
    unpriced_calls = unpriced_tokens = 0
    for call in calls:
        if call.status in NOT_CHARGES:
            continue
        parts = list(_split(call))
        if parts and call.cost_usd is None:
            unpriced_calls += 1
            unpriced_tokens += sum(quantity for _, quantity in parts)
        for key, quantity in parts:
            charge = charges.get(key)
            if charge is None:
                charge = charges[key] = Charge(key)
            charge.quantity += quantity
            charge.calls += 1
    return ChargeSet(sorted(charges.values(), key=_order), unpriced_calls, unpriced_tokens)


def _split(call: ChargedCall) -> Iterator[tuple[ChargeKey, int]]:
    counts = billed_counts(TokenCounts.model_validate(_known(call.tokens)).usage())

    def key(charge_class: str, price: Decimal | None) -> ChargeKey:
        return ChargeKey(
            _utc_day(call.started_at), call.team_id, call.agent_id, call.run_pk, call.provider,
            call.model, call.service_tier, charge_class, price, call.price_version,
            call.unpriced_reason if call.cost_usd is None else None,
        )  # fmt: skip

    if call.cost_usd is None:
        for charge_class, quantity in counts.items():  # no usage: nothing was billed
            yield key(charge_class, None), quantity
        return
    parts = _unit_prices(counts, call.breakdown)
    if parts is None or sum((p * q for p, q in parts.values()), Decimal(0)) != call.cost_usd:
        yield key(WHOLE_CALL, call.cost_usd), 1
        return
    for charge_class, (price, quantity) in parts.items():
        yield key(charge_class, price), quantity


def _unit_prices(
    counts: dict[str, int], breakdown: dict[str, Any]
) -> dict[str, tuple[Decimal, int]] | None:
    """Class -> (unit price, quantity), or None when the breakdown does not match the counts."""
    if not breakdown or set(breakdown) - {REQUEST} != set(counts):
        return None
    parts: dict[str, tuple[Decimal, int]] = {}
    for charge_class, value in breakdown.items():
        cost = Decimal(str(value))
        quantity = 1 if charge_class == REQUEST else counts[charge_class]
        price = cost / quantity
        if price * quantity != cost:  # not exactly representable: keep the call whole
            return None
        parts[charge_class] = (price, quantity)
    return parts


def _utc_day(at: datetime) -> date:
    """FOCUS charge periods are UTC days (a naive time, from SQLite, is UTC already)."""
    return (at.astimezone(UTC) if at.tzinfo is not None else at).date()


def _known(tokens: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tokens.items() if k in TokenCounts.model_fields}


def _order(charge: Charge) -> tuple[str, ...]:
    k = charge.key
    return (k.day.isoformat(), str(k.team_id or ""), str(k.agent_id), str(k.run_pk),
            k.provider, k.model, k.charge_class, str(k.unit_price))  # fmt: skip
