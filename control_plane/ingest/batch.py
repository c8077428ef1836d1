"""The ingest service: one batch of records in, one outcome per record out.

Order inside the caller's transaction: validate → org prices (records an org override
covers are priced again from their tokens) → resolve agents → insert calls (ON CONFLICT
DO NOTHING) → supersede in_progress calls by their final record → add run aggregates and
rollups → derived work. Everything after validation sees only records this batch newly
stored or completed, so a redelivered batch changes nothing and counts nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentops.wire.ingest import IngestBatchResponse
from agentops.wire.record import CallRecord, CallStatus
from control_plane.ingest import rows
from control_plane.ingest.derived import DerivedWork, StoredCall
from control_plane.ingest.prices import apply_org_prices
from control_plane.ingest.registry import resolve_agents
from control_plane.ingest.validate import Parsed, RecordFate, parse_records
from control_plane.services import budget_watch, policy_alerts
from control_plane.services.prices import PriceCache, load_org_prices
from control_plane.store import calls, rollups, runs
from control_plane.store.tables.runs import run_pk
from control_plane.store.types import AsyncSession

# Work caused by stored calls, in this order, inside the ingest transaction.
DERIVED_WORK: tuple[DerivedWork, ...] = (
    budget_watch.on_stored_calls,
    policy_alerts.on_stored_calls,
)


@dataclass(frozen=True, slots=True)
class IngestTarget:
    """Whose records these are: the org (id and slug) and what the caller may do in it."""

    org_id: uuid.UUID
    org_slug: str
    auto_register_agents: bool = False
    agent_id: uuid.UUID | None = None  # a key bound to one agent ingests only that agent


async def ingest_records(
    session: AsyncSession,
    target: IngestTarget,
    raw: Sequence[Any],
    *,
    derived: Sequence[DerivedWork] = DERIVED_WORK,
    text_checked: bool = False,
    models: Sequence[CallRecord] | None = None,
    price_cache: PriceCache | None = None,
) -> IngestBatchResponse:
    """``models``: ``raw`` already validated as a batch (the HTTP fast path).
    ``price_cache``: the app's cache of org prices (without it they are built per batch)."""
    parsed, outcomes = parse_records(raw, target.org_slug, text_checked=text_checked, models=models)
    parsed, dupes = _last_per_call(parsed)
    outcomes += dupes
    if parsed:
        prices = await load_org_prices(session, target.org_id, price_cache)
        parsed = apply_org_prices(parsed, prices)
    agents = await resolve_agents(
        session, target.org_id, {p.record.agent for p in parsed},
        register=target.auto_register_agents,
    )  # fmt: skip
    candidates: list[tuple[Parsed, StoredCall]] = []
    run_ids = {r: run_pk(target.org_id, r) for r in {p.record.run_id for p in parsed}}
    for p in parsed:
        agent = agents.get(p.record.agent)
        reason = _agent_problem(target, p.record.agent, agent.id if agent else None)
        if reason or agent is None:
            outcomes.append(_outcome(p, "rejected", reason))
            continue
        stored = StoredCall(p.record, target.org_id, agent.id, agent.team_id,
                            run_ids[p.record.run_id], superseded=False)  # fmt: skip
        candidates.append((p, stored))

    inserted = await calls.insert_calls(session, [rows.call_row(s, p.raw) for p, s in candidates])
    done: list[StoredCall] = []
    conflicts: list[tuple[Parsed, StoredCall]] = []
    for p, s in candidates:
        if s.record.call_id in inserted:
            done.append(s)
            outcomes.append(_outcome(p, "stored"))
        else:
            conflicts.append((p, s))
    done += await _supersede(session, target.org_id, conflicts, outcomes)

    await runs.add_runs(session, rows.run_rows(done))
    await rollups.add_rollups(session, rows.rollup_rows(done))
    for work in derived:
        await work(session, done)
    return _response(outcomes)


async def _supersede(
    session: AsyncSession,
    org_id: uuid.UUID,
    conflicts: list[tuple[Parsed, StoredCall]],
    outcomes: list[RecordFate],
) -> list[StoredCall]:
    """Final records whose call is stored as in_progress replace it; the rest are duplicates."""
    finals = [(p, s) for p, s in conflicts if s.final]
    open_calls = await calls.find_in_progress(
        session, org_id, [(s.record.call_id, s.record.started_at) for _, s in finals]
    )
    done: list[StoredCall] = []
    for p, s in conflicts:
        if s.final and s.record.call_id in open_calls:
            completed = StoredCall(s.record, s.org_id, s.agent_id, s.team_id, s.run_pk, True,
                                   reopened=open_calls[s.record.call_id])  # fmt: skip
            if await calls.supersede_call(session, rows.call_row(completed, p.raw)):
                done.append(completed)
                outcomes.append(_outcome(p, "stored"))
                continue
        outcomes.append(_outcome(p, "duplicate"))
    return done


def _last_per_call(parsed: list[Parsed]) -> tuple[list[Parsed], list[RecordFate]]:
    """One record per call id within a batch: a final record beats in_progress, else the last."""
    keep: dict[uuid.UUID, Parsed] = {}
    dupes: list[RecordFate] = []
    for p in parsed:
        seen = keep.get(p.record.call_id)
        if seen is None:
            keep[p.record.call_id] = p
            continue
        loser = p
        if (
            seen.record.status == CallStatus.IN_PROGRESS
            or p.record.status != CallStatus.IN_PROGRESS
        ):
            keep[p.record.call_id], loser = p, seen
        dupes.append(_outcome(loser, "duplicate", "same call id earlier in this batch"))
    return list(keep.values()), dupes


def _agent_problem(target: IngestTarget, name: str, agent_id: uuid.UUID | None) -> str:
    if agent_id is None:
        return (
            f"unknown agent {name!r}: this org does not register agent names on first use "
            f"(auto_register_agents is off); register it first (POST /api/v1/agents or "
            f"`agentops agents create`)"
        )
    if target.agent_id is not None and agent_id != target.agent_id:
        return (
            f"agent mismatch: this API key may only ingest records of its own agent, not {name!r}"
        )
    return ""


def _outcome(p: Parsed, status: Any, reason: str | None = None) -> RecordFate:
    return RecordFate(p.index, p.raw["call_id"], status, reason or None)  # the id as sent


def _response(outcomes: list[RecordFate]) -> IngestBatchResponse:
    # One validation of plain dicts (in pydantic's core) is far cheaper than a model per record.
    outcomes.sort(key=lambda o: o.index)
    count = {s: sum(o.status == s for o in outcomes) for s in ("stored", "duplicate", "rejected")}
    return IngestBatchResponse.model_validate({**count, "outcomes": [_wire(o) for o in outcomes]})


def _wire(o: RecordFate) -> dict[str, Any]:
    return {"index": o.index, "call_id": o.call_id, "status": o.status, "reason": o.reason}
