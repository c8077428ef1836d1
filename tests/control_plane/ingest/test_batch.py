"""The ingest service on both engines: idempotent, superseding, per-record rejection, exact
aggregates. Each test reads as a rule of ingestion."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentops.wire.ingest import IngestBatchResponse
from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.ingest.derived import StoredCall
from control_plane.store.engine import Database
from control_plane.store.tables import Agent, Call, CostRollup, Run
from tests.harness.records import record
from tests.harness.store_org import Org, make_org


async def ingest(
    db: Database, org: Org, records: list[dict[str, Any]], **kw: Any
) -> IngestBatchResponse:
    target = IngestTarget(org.id, org.slug, **kw)
    async with db.transaction(org.id) as session:
        return await ingest_records(session, target, records)


async def count(db: Database, org: Org, model: Any) -> int:
    async with db.transaction(org.id) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def rollup_totals(db: Database, org: Org) -> tuple[int, Decimal, int, int]:
    async with db.transaction(org.id) as session:
        row = (await session.execute(select(
            func.sum(CostRollup.calls), func.sum(CostRollup.cost_usd),
            func.sum(CostRollup.input_tokens), func.sum(CostRollup.unpriced_calls),
        ))).one()  # fmt: skip
    return int(row[0] or 0), row[1] or Decimal(0), int(row[2] or 0), int(row[3] or 0)


async def test_a_batch_is_stored_and_a_redelivery_stores_nothing_twice(
    db: Database, org: Org
) -> None:
    batch = [record() for _ in range(5)]
    first = await ingest(db, org, batch)
    assert (first.stored, first.duplicate, first.rejected) == (5, 0, 0)
    assert [o.status for o in first.outcomes] == ["stored"] * 5
    again = await ingest(db, org, batch)
    assert (again.stored, again.duplicate, again.rejected) == (0, 5, 0)
    assert await count(db, org, Call) == 5
    calls, cost, tokens, _ = await rollup_totals(db, org)
    assert (calls, cost, tokens) == (5, Decimal("0.0060"), 500)


async def test_a_final_record_supersedes_its_in_progress_record_and_counts_once(
    db: Database, org: Org
) -> None:
    started = record(status="in_progress", cost=None)
    final = record(call_id=uuid.UUID(started["call_id"]), cost="0.5", output_tokens=70)
    assert (await ingest(db, org, [started])).stored == 1
    assert await rollup_totals(db, org) == (0, Decimal(0), 0, 0)  # only final records count
    async with db.transaction(org.id) as session:
        run = (await session.execute(select(Run))).scalar_one()
        assert (run.status, run.in_progress, run.calls) == ("running", 1, 0)

    assert (await ingest(db, org, [final])).stored == 1
    assert (await ingest(db, org, [final])).duplicate == 1  # a final record again: duplicate
    assert (await ingest(db, org, [started])).duplicate == 1  # a late in_progress: duplicate
    async with db.transaction(org.id) as session:
        call = (await session.execute(select(Call))).scalar_one()
        assert (call.status, call.output_tokens, call.cost_usd) == ("ok", 70, Decimal("0.5"))
        run = (await session.execute(select(Run))).scalar_one()
        assert (run.status, run.in_progress, run.calls, run.cost_usd) == (
            "ok",
            0,
            1,
            Decimal("0.5"),
        )
    assert await rollup_totals(db, org) == (1, Decimal("0.5"), 100, 0)


async def test_in_progress_and_final_in_one_batch_store_the_final_one(
    db: Database, org: Org
) -> None:
    started = record(status="in_progress", cost=None)
    final = record(call_id=uuid.UUID(started["call_id"]))
    answer = await ingest(db, org, [final, started])
    assert [(o.index, o.status) for o in answer.outcomes] == [(0, "stored"), (1, "duplicate")]
    async with db.transaction(org.id) as session:
        assert (await session.execute(select(Call.status))).scalar_one() == "ok"


async def test_bad_records_are_rejected_one_by_one_and_the_rest_is_stored(
    db: Database, org: Org
) -> None:
    naive = record()
    naive["started_at"] = "2026-11-27T10:00:00"
    batch: list[Any] = [
        record(),
        {"call_id": "not-a-uuid"},
        record(org="other-org"),
        record(agent="ghost"),
        "not an object",
        naive,
        record(cost="-1"),
        record(agent="has space"),
        record(error_message="nul \x00 byte", status="error"),
        record(),
    ]
    answer = await ingest(db, org, batch)
    assert (answer.stored, answer.rejected) == (2, 8)
    reasons = {o.index: o.reason or "" for o in answer.outcomes if o.status == "rejected"}
    assert reasons[1].startswith("malformed record: ")
    assert reasons[2].startswith("org mismatch: the record names org 'other-org'")
    assert reasons[3].startswith("unknown agent 'ghost': this org does not register agent names")
    assert reasons[4] == "malformed record: not a JSON object"
    assert "timezone" in reasons[5]
    assert "non-negative" in reasons[6]
    assert reasons[7].startswith("invalid agent name")
    assert "NUL" in reasons[8]
    assert await count(db, org, Call) == 2


async def test_the_default_org_registers_unknown_agents(db: Database) -> None:
    default = await make_org(db, "default")
    answer = await ingest(db, default, [record("default", "new-worker")], auto_register_agents=True)
    assert answer.stored == 1
    async with db.transaction(default.id) as session:
        names = (await session.execute(select(Agent.name).order_by(Agent.name))).scalars().all()
    assert list(names) == ["bot", "new-worker"]


async def test_a_key_bound_to_an_agent_ingests_only_that_agent(db: Database, org: Org) -> None:
    answer = await ingest(db, org, [record()], agent_id=uuid.uuid4())
    assert answer.rejected == 1
    assert (answer.outcomes[0].reason or "").startswith("agent mismatch")


async def test_rollup_and_run_totals_equal_the_sum_over_calls_exactly(
    db: Database, org: Org
) -> None:
    costs = ["0.0000000001", "0.1", "0.2", "0.3", "1234.5678901234", None, "0.0000001", "7"]
    batch = [
        record(run_id=f"run-{i % 3}", cost=c, latency_ms=40.0 * (i + 1) ** 2,
               status="ok" if i % 4 else "error", input_tokens=i, model=f"m{i % 2}")
        for i, c in enumerate(costs)
    ]  # fmt: skip
    await ingest(db, org, batch)
    expected = sum(Decimal(c) for c in costs if c is not None)
    async with db.transaction(org.id) as session:
        calls_sum = (await session.execute(select(func.sum(Call.cost_usd)))).scalar_one()
        runs_sum = (await session.execute(select(func.sum(Run.cost_usd)))).scalar_one()
        run_calls = (await session.execute(select(func.sum(Run.calls)))).scalar_one()
        errors = (await session.execute(select(func.sum(CostRollup.errors)))).scalar_one()
    assert calls_sum == runs_sum == expected
    assert run_calls == len(costs)
    assert errors == 2
    assert await rollup_totals(db, org) == (8, expected, sum(range(8)), 1)


async def test_derived_work_sees_each_newly_stored_call_exactly_once(
    db: Database, org: Org
) -> None:
    seen: list[tuple[str, bool]] = []

    async def spend(session: AsyncSession, stored: Sequence[StoredCall]) -> None:
        seen.extend((str(s.record.call_id), s.final) for s in stored)

    started = record(status="in_progress", cost=None)
    final = record(call_id=uuid.UUID(started["call_id"]))
    other = record()
    target = IngestTarget(org.id, org.slug)
    for batch in ([started, other], [final, other], [final]):
        async with db.transaction(org.id) as session:
            await ingest_records(session, target, batch, derived=[spend])
    assert seen == [(started["call_id"], False), (other["call_id"], True), (final["call_id"], True)]
