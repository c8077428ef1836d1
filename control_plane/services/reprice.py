"""Re-pricing: the calls of a range priced again from their stored tokens, every aggregate
corrected by the difference, each change recorded (old and new cost, old and new version).

All of it happens in the caller's transaction: the calls' cost, the runs, the hourly and daily
rollups and the ``cost_corrections`` rows commit together, so rollups keep summing exactly to
their calls. The work is bounded: a range of more than ``MAX_CALLS`` calls is refused (narrow
it, or filter by model or agent), and calls are read ``PAGE`` at a time.

A call is changed when its new cost differs from the stored one. A call the current prices
cannot price keeps what it has: re-pricing never turns a known cost into an unknown one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from control_plane.errors import ValidationFailedError
from control_plane.ingest.rows import empty_rollup, hour_of, money
from control_plane.services.prices import OrgPrices, cost_info
from control_plane.store import prices as store
from control_plane.store import rollups
from control_plane.store.prices import CallScope
from control_plane.store.tables.rollups import NO_TEAM
from control_plane.store.types import AsyncSession
from pricing import TOKEN_CLASSES, Usage

MAX_CALLS = 50_000
PAGE = 5_000
SHOWN_CHANGES = 100
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Change:
    row: Any  # the call's columns as read (store.list_calls)
    new_total: Decimal
    new_version: str
    document: dict[str, Any]

    @property
    def old_total(self) -> Decimal | None:
        value: Decimal | None = self.row.cost_usd
        return value

    @property
    def delta(self) -> Decimal:
        return self.new_total - (self.old_total or _ZERO)


@dataclass(slots=True)
class RepriceTally:
    """What one repricing pass examined and changed, with the totals before and after."""

    batch_id: uuid.UUID
    examined: int = 0
    changed: int = 0
    newly_priced: int = 0
    old_total: Decimal = _ZERO
    new_total: Decimal = _ZERO
    shown: list[Change] = field(default_factory=list)


async def reprice_calls(
    session: AsyncSession,
    scope: CallScope,
    prices: OrgPrices,
    *,
    actor: str | None,
    dry_run: bool,
    max_calls: int = MAX_CALLS,
) -> RepriceTally:
    if not dry_run:
        await store.lock_repricing(session, scope.org_id)
    count = await store.count_calls(session, scope)
    if count > max_calls:
        raise ValidationFailedError(
            f"the range holds {count} calls, more than the {max_calls} one re-pricing may "
            "change; narrow from/to or filter by model or agent, and run it in parts",
            details={"calls": count, "max_calls": max_calls},
        )
    outcome = RepriceTally(batch_id=uuid.uuid4())
    after = None
    while True:
        page = await store.list_calls(session, scope, after=after, limit=PAGE)
        if not page:
            break
        after = (page[-1].started_at, page[-1].call_id)
        changes = [c for c in (_reprice(row, prices) for row in page) if c is not None]
        _tally(outcome, len(page), changes)
        if not dry_run:
            await _write(session, scope.org_id, changes, outcome.batch_id, actor)
        if len(page) < PAGE:
            break
    return outcome


def usage_of(row: Any) -> Usage:
    """The call's token classes: from its document when it has them (exact 5m/1h and audio
    split), else from the columns."""
    tokens = row.record.get("tokens") if isinstance(row.record, dict) else None
    if isinstance(tokens, dict):
        return Usage(**{name: int(tokens.get(name) or 0) for name in TOKEN_CLASSES})
    return Usage(
        input=row.input_tokens,
        output=row.output_tokens,
        cached_read=row.cached_read_tokens,
        cache_write_5m=row.cache_write_tokens,
        reasoning=row.reasoning_tokens,
    )


def _reprice(row: Any, prices: OrgPrices) -> Change | None:
    cost = prices.price(
        row.started_at, row.model or None, row.provider, usage_of(row), row.service_tier
    )
    new_total = money(cost.total_usd)
    if new_total is None or new_total == row.cost_usd:
        return None
    document = {**row.record, "cost": cost_info(cost).model_dump(mode="json")}
    return Change(row, new_total, cost.price_version, document)


def _tally(outcome: RepriceTally, examined: int, changes: list[Change]) -> None:
    outcome.examined += examined
    outcome.changed += len(changes)
    for change in changes:
        outcome.newly_priced += change.old_total is None
        outcome.old_total += change.old_total or _ZERO
        outcome.new_total += change.new_total
        if len(outcome.shown) < SHOWN_CHANGES:
            outcome.shown.append(change)


async def _write(
    session: AsyncSession,
    org_id: uuid.UUID,
    changes: list[Change],
    batch_id: uuid.UUID,
    actor: str | None,
) -> None:
    if not changes:
        return
    await store.update_call_costs(session, org_id, [_call_update(c) for c in changes])
    await store.add_run_deltas(session, org_id, _run_deltas(changes))
    await rollups.add_rollups(session, _rollup_deltas(org_id, changes))
    await store.add_corrections(session, [_correction(org_id, c, batch_id, actor) for c in changes])


def _call_update(change: Change) -> dict[str, Any]:
    return {
        "call_id": change.row.call_id,
        "started_at": change.row.started_at,
        "cost_usd": change.new_total,
        "price_version": change.new_version,
        "unpriced_reason": None,
        "record": change.document,
    }


def _run_deltas(changes: list[Change]) -> dict[uuid.UUID, tuple[Decimal, int]]:
    deltas: dict[uuid.UUID, tuple[Decimal, int]] = {}
    for change in changes:
        cost, unpriced = deltas.get(change.row.run_pk, (_ZERO, 0))
        deltas[change.row.run_pk] = (
            cost + change.delta,
            unpriced - (change.old_total is None),
        )
    return deltas


def _rollup_deltas(org_id: uuid.UUID, changes: list[Change]) -> list[dict[str, Any]]:
    """Hourly delta rows keyed exactly as ingestion keyed the calls: only cost and unpriced
    counts move (the daily rows follow from them in ``add_rollups``)."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for change in changes:
        r = change.row
        key = (org_id, hour_of(r.started_at), r.agent_id, r.team_id or NO_TEAM, r.model,
               r.provider)  # fmt: skip
        row = rows.get(key)
        if row is None:
            row = rows[key] = empty_rollup(key)
        row["cost_usd"] += change.delta
        if change.old_total is None:  # priced now: its tokens no longer go uncosted
            row["unpriced_calls"] -= 1
            row["unpriced_input_tokens"] -= r.input_tokens
            row["unpriced_output_tokens"] -= r.output_tokens
    return list(rows.values())


def _correction(
    org_id: uuid.UUID, change: Change, batch_id: uuid.UUID, actor: str | None
) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "call_id": change.row.call_id,
        "call_started_at": change.row.started_at,
        "old_total": change.old_total,
        "new_total": change.new_total,
        "old_price_version": change.row.price_version,
        "new_price_version": change.new_version,
        "batch_id": batch_id,
        "actor": actor,
    }
