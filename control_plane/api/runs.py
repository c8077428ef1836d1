"""/runs: list runs with filters and keyset pagination; show one run with its calls; lift a
run's pause early (audited)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from control_plane import app_keys
from control_plane.api._names import NothingNamed, id_named
from control_plane.api.costs import time_range
from control_plane.endpoint import ApiRequest
from control_plane.errors import ValidationFailedError, found
from control_plane.schemas.common import from_row
from control_plane.schemas.runs import (
    CallOut,
    RunDetail,
    RunOut,
    RunPage,
    RunQuery,
    RunResumed,
    RunResumeRequest,
)
from control_plane.services import run_pauses
from control_plane.store import agents, calls, runs, teams
from control_plane.store.pagination import InvalidCursorError
from control_plane.store.runs import RunFilters
from control_plane.store.tables import Call, Run
from control_plane.store.types import AsyncSession


async def list_runs(req: ApiRequest) -> RunPage:
    query = req.query_as(RunQuery)
    start, end = time_range(query)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        try:
            agent_id = await id_named(agents.get_agent_by_name, session, org_id, query.agent)
            team_id = await id_named(teams.get_team_by_name, session, org_id, query.team)
        except NothingNamed:
            return RunPage(items=[], next_cursor=None)
        filters = RunFilters(
            start=start, end=end, agent_id=agent_id, team_id=team_id, status=query.status,
            model=query.model, provider=query.provider, min_cost=query.min_cost,
            max_cost=query.max_cost, tag=query.tag,
        )  # fmt: skip
        try:
            page = await runs.list_runs(
                session, org_id, filters, sort=query.sort, cursor=query.cursor, limit=query.limit
            )
        except InvalidCursorError:
            raise ValidationFailedError("query: cursor: cursor is not valid") from None
        items = await runs_out(session, org_id, page.items)
    return RunPage(items=items, next_cursor=page.next_cursor)


async def get_run(req: ApiRequest) -> RunDetail:
    ref = req.request.match_info["run_id"]
    org_id = req.principal.org_id
    async with req.transaction() as session:
        run = found(await runs.get_run(session, org_id, ref), f"no such run: {ref!r}")
        out = (await runs_out(session, org_id, [run]))[0]
        rows = await calls.list_calls_for_run(session, org_id, run.id)
    return RunDetail(**out.model_dump(), call_list=[call_out(row) for row in rows])


async def resume_run(req: ApiRequest) -> RunResumed:
    ref = req.request.match_info["run_id"]
    body = req.body_as(RunResumeRequest)
    counters = req.app_get(app_keys.STATE_BUS).runs
    assert counters is not None, "the state bus carries the run counters"
    async with req.transaction() as session:
        paused = await run_pauses.get_paused_run(session, req.principal, ref, counters)
        run = paused.run
        after = {"run_id": run.run_key, "paused": None, "reason": body.reason}
        await req.audit(
            session, "run.resume", "run", run.id, before={"paused": paused.pause}, after=after
        )
    await run_pauses.lift(paused, counters)  # after the commit, like every emergency control
    return RunResumed(id=run.id, run_id=run.run_key, pause=paused.pause)


def call_out(row: Call) -> CallOut:
    """A call row with the forensic detail its stored record carries."""
    record = row.record or {}
    cost = record.get("cost") or {}
    return CallOut.model_validate(row, from_attributes=True).model_copy(
        update={
            "tool_names": list(record.get("tool_names") or []),
            "cost_breakdown": {
                k: Decimal(str(v)) for k, v in (cost.get("breakdown") or {}).items()
            },
            "refusal_reason": record.get("refusal_reason"),
            "prompt": record.get("prompt"),
            "completion": record.get("completion"),
        }
    )


async def runs_out(session: AsyncSession, org_id: uuid.UUID, rows: list[Run]) -> list[RunOut]:
    agent_names = await agents.get_agent_names(session, org_id, {r.agent_id for r in rows})
    team_names = await teams.get_team_names(
        session, org_id, {r.team_id for r in rows if r.team_id is not None}
    )
    return [
        from_row(
            RunOut,
            r,
            run_id=r.run_key,
            agent=agent_names.get(r.agent_id),
            team=team_names.get(r.team_id) if r.team_id else None,
        )
        for r in rows
    ]
