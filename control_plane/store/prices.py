"""Store functions for org price overrides, unpriced calls and re-pricing (corrections).

Like every store module: the caller's session, no commit. Override rows are added and retired,
never rewritten; see ``tables.price_overrides`` for how the org's override version is kept.
Changes to an org's overrides take a transaction-scoped lock on PostgreSQL, so each change
gets its own version number.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import list_rows
from control_plane.store.tables import Call, CostCorrection, PriceOverrideRow, Run, utcnow
from control_plane.store.tables.calls import ExactMoney

CALLS: Table = Call.__table__  # type: ignore[assignment]
RUNS: Table = Run.__table__  # type: ignore[assignment]
CORRECTIONS: Table = CostCorrection.__table__  # type: ignore[assignment]
UNPRICED_MODEL = "unpriced_model"
IN_PROGRESS = "in_progress"


async def get_override_version(session: AsyncSession, org_id: uuid.UUID) -> int:
    """The org's override-set version: 0 until its first override, then +1 per change."""
    stmt = select(
        func.max(PriceOverrideRow.version), func.max(PriceOverrideRow.retired_version)
    ).where(PriceOverrideRow.org_id == org_id)
    created, retired = (await session.execute(stmt)).one()
    return max(created or 0, retired or 0)


async def list_overrides(session: AsyncSession, org_id: uuid.UUID) -> list[PriceOverrideRow]:
    """The org's overrides in force, oldest change first (a later one wins when applied)."""
    match = (PriceOverrideRow.org_id == org_id, PriceOverrideRow.retired_version.is_(None))
    return await list_rows(session, PriceOverrideRow, *match, order_by=[PriceOverrideRow.version])


async def get_override(
    session: AsyncSession, org_id: uuid.UUID, model: str, provider: str | None
) -> PriceOverrideRow | None:
    """The override in force for exactly this model name and provider (None: any provider)."""
    stmt = select(PriceOverrideRow).where(
        PriceOverrideRow.org_id == org_id,
        PriceOverrideRow.retired_version.is_(None),
        PriceOverrideRow.model == model,
        PriceOverrideRow.provider.is_(None)
        if provider is None
        else PriceOverrideRow.provider == provider,
    )
    return (await session.execute(stmt)).scalars().first()


async def create_override(
    session: AsyncSession, org_id: uuid.UUID, values: dict[str, Any], created_by: str | None
) -> PriceOverrideRow:
    """Add an override as the org's next version, retiring the one it replaces."""
    await _lock(session, org_id, _OVERRIDES_LOCK)
    version = await get_override_version(session, org_id) + 1
    previous = await get_override(session, org_id, values["model"], values.get("provider"))
    if previous is not None:
        retire_override(previous, version)
    row = PriceOverrideRow(org_id=org_id, version=version, created_by=created_by, **values)
    session.add(row)
    await session.flush()
    return row


async def delete_override(session: AsyncSession, row: PriceOverrideRow) -> int:
    """Retire ``row`` as the org's next version; returns that version."""
    await _lock(session, row.org_id, _OVERRIDES_LOCK)
    version = await get_override_version(session, row.org_id) + 1
    retire_override(row, version)
    await session.flush()
    return version


def retire_override(row: PriceOverrideRow, version: int) -> None:
    row.retired_version = version
    row.retired_at = utcnow()


@dataclass(frozen=True, slots=True)
class UnpricedModel:
    model: str
    provider: str
    calls: int
    first_seen: datetime
    last_seen: datetime


async def list_unpriced(
    session: AsyncSession, org_id: uuid.UUID, start: datetime, end: datetime
) -> list[UnpricedModel]:
    """Models of final calls in [start, end) that had no price, with how many calls each."""
    count = func.count().label("calls")
    stmt = (
        select(
            Call.model,
            Call.provider,
            count,
            func.min(Call.started_at).label("first_seen"),
            func.max(Call.started_at).label("last_seen"),
        )
        .where(
            Call.org_id == org_id,
            Call.started_at >= start,
            Call.started_at < end,
            Call.cost_usd.is_(None),
            Call.unpriced_reason == UNPRICED_MODEL,
            Call.status != IN_PROGRESS,
        )
        .group_by(Call.model, Call.provider)
        .order_by(count.desc(), Call.model, Call.provider)
    )
    return [
        UnpricedModel(r.model, r.provider, int(r.calls), r.first_seen, r.last_seen)
        for r in await session.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class CallScope:
    """Which calls a re-pricing covers: final, metered calls started in [start, end)."""

    org_id: uuid.UUID
    start: datetime
    end: datetime
    model: str | None = None
    agent_id: uuid.UUID | None = None

    def where(self) -> list[Any]:
        clauses: list[Any] = [
            Call.org_id == self.org_id,
            Call.started_at >= self.start,
            Call.started_at < self.end,
            Call.status != IN_PROGRESS,
            Call.metered.is_(True),
        ]
        if self.model is not None:
            clauses.append(Call.model == self.model)
        if self.agent_id is not None:
            clauses.append(Call.agent_id == self.agent_id)
        return clauses


async def lock_repricing(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialise the org's re-pricings until this transaction ends (PostgreSQL).

    Two concurrent runs over the same calls would each add the same delta to the rollups;
    the second one, once it holds the lock, reads the costs the first one committed. SQLite
    serialises writers itself (a stale second writer fails instead of writing).
    """
    await _lock(session, org_id, _REPRICE_LOCK)


async def _lock(session: AsyncSession, org_id: uuid.UUID, purpose: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(org_id.bytes[:8], "big", signed=True) ^ purpose
        await session.execute(select(func.pg_advisory_xact_lock(key)))


# Keep these advisory-lock keys apart from each other and from other users of advisory locks.
_REPRICE_LOCK = 0x7072696365  # "price"
_OVERRIDES_LOCK = 0x6F76657272  # "overr"


async def count_calls(session: AsyncSession, scope: CallScope) -> int:
    stmt = select(func.count()).select_from(Call).where(*scope.where())
    return int((await session.execute(stmt)).scalar_one())


async def list_calls(
    session: AsyncSession,
    scope: CallScope,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """One page of the scope's calls (keyset on started_at, call_id): the columns pricing
    and the deltas need, not ORM objects (the rows are updated with Core statements)."""
    c = CALLS.c
    stmt = select(
        c.call_id, c.started_at, c.agent_id, c.team_id, c.run_pk, c.model, c.provider,
        c.service_tier, c.input_tokens, c.output_tokens, c.cached_read_tokens,
        c.cache_write_tokens, c.reasoning_tokens, c.cost_usd, c.price_version,
        c.unpriced_reason, c.record,
    ).where(*scope.where())  # fmt: skip
    if after is not None:
        stmt = stmt.where(
            (c.started_at > after[0]) | ((c.started_at == after[0]) & (c.call_id > after[1]))
        )
    stmt = stmt.order_by(c.started_at, c.call_id).limit(limit)
    return list((await session.execute(stmt)).all())


async def update_call_costs(
    session: AsyncSession, org_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    """Set cost, price version, unpriced reason and document of calls, by key.

    Each row: call_id, started_at, cost_usd, price_version, unpriced_reason, record."""
    if not rows:
        return
    c = CALLS.c
    stmt = (
        update(CALLS)
        .where(
            c.org_id == bindparam("k_org_id"),
            c.call_id == bindparam("k_call_id"),
            c.started_at == bindparam("k_started_at"),
        )
        .values(
            cost_usd=bindparam("v_cost_usd", type_=ExactMoney()),
            price_version=bindparam("v_price_version"),
            unpriced_reason=bindparam("v_unpriced_reason"),
            record=bindparam("v_record", type_=c.record.type),
        )
    )
    params = [
        {"k_org_id": org_id, "k_call_id": r["call_id"], "k_started_at": r["started_at"],
         "v_cost_usd": r["cost_usd"], "v_price_version": r["price_version"],
         "v_unpriced_reason": r["unpriced_reason"], "v_record": r["record"]}
        for r in rows
    ]  # fmt: skip
    await session.execute(stmt, params)


async def add_run_deltas(
    session: AsyncSession, org_id: uuid.UUID, deltas: dict[uuid.UUID, tuple[Decimal, int]]
) -> None:
    """Add (cost, unpriced calls) deltas to runs, by run id, in id order (lock order)."""
    if not deltas:
        return
    c = RUNS.c
    stmt = (
        update(RUNS)
        .where(c.org_id == bindparam("k_org_id"), c.id == bindparam("k_id"))
        .values(
            cost_usd=c.cost_usd + bindparam("d_cost", type_=ExactMoney()),
            unpriced_calls=c.unpriced_calls + bindparam("d_unpriced"),
        )
    )
    params = [
        {"k_org_id": org_id, "k_id": run_id, "d_cost": cost, "d_unpriced": unpriced}
        for run_id, (cost, unpriced) in sorted(deltas.items(), key=lambda kv: str(kv[0]))
    ]
    await session.execute(stmt, params)


async def add_corrections(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(CORRECTIONS.insert(), list(rows))


async def list_corrections(
    session: AsyncSession, org_id: uuid.UUID, batch_id: uuid.UUID
) -> list[CostCorrection]:
    match = (CostCorrection.org_id == org_id, CostCorrection.batch_id == batch_id)
    order = (CostCorrection.call_started_at, CostCorrection.call_id)
    return await list_rows(session, CostCorrection, *match, order_by=order)
