"""/calls: every call record, filtered and keyset-paginated; one call with everything stored.

The list carries what a table shows; the detail adds the rest of the record as the proxy sent
it (every token class and whether it was reported or estimated, the cost breakdown, tool
names, finish reason, timings, captured content when capture is on).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from control_plane.api._names import NothingNamed, id_named
from control_plane.api.costs import DEFAULT_RANGE
from control_plane.endpoint import ApiRequest
from control_plane.errors import ValidationFailedError, found
from control_plane.schemas.calls import (
    CallDetail,
    CallListItem,
    CallPage,
    CallQuery,
    CostOut,
    TokensOut,
)
from control_plane.store import agents, runs, teams
from control_plane.store.call_queries import CallFilters, get_call, get_run_keys, list_calls
from control_plane.store.pagination import InvalidCursorError
from control_plane.store.tables import Call
from control_plane.store.types import AsyncSession

MAX_RANGE = timedelta(days=400)


async def list_call_records(req: ApiRequest) -> CallPage:
    query = req.query_as(CallQuery)
    end = query.to or datetime.now(UTC)
    start = query.from_ or end - DEFAULT_RANGE
    if start >= end or end - start > MAX_RANGE:
        raise ValidationFailedError(
            f"query: from must be before to, at most {MAX_RANGE.days} days apart"
        )
    org_id = req.principal.org_id
    async with req.transaction() as session:
        try:
            agent_id = await id_named(agents.get_agent_by_name, session, org_id, query.agent)
            team_id = await id_named(teams.get_team_by_name, session, org_id, query.team)
            run_pk = await id_named(runs.get_run, session, org_id, query.run)
        except NothingNamed:
            return CallPage(items=[], next_cursor=None)
        filters = CallFilters(
            start=start, end=end, agent_id=agent_id, team_id=team_id, run_pk=run_pk,
            status=query.status, model=query.model, provider=query.provider,
            priced=query.priced, min_cost=query.min_cost, max_cost=query.max_cost, tag=query.tag,
        )  # fmt: skip
        try:
            page = await list_calls(
                session, org_id, filters, cursor=query.cursor, limit=query.limit
            )
        except InvalidCursorError:
            raise ValidationFailedError("query: cursor: cursor is not valid") from None
        names = await _Names.load(session, org_id, page.items)
    return CallPage(items=[names.item(c) for c in page.items], next_cursor=page.next_cursor)


async def get_call_record(req: ApiRequest) -> CallDetail:
    call_id = req.path_id("call_id")
    org_id = req.principal.org_id
    async with req.transaction() as session:
        call = found(await get_call(session, org_id, call_id), f"no such call: {call_id}")
        names = await _Names.load(session, org_id, [call])
    return names.detail(call)


class _Names:
    """Agent, team and run names of a page of calls, looked up once per page."""

    def __init__(
        self,
        agents_: dict[uuid.UUID, str],
        teams_: dict[uuid.UUID, str],
        runs_: dict[uuid.UUID, str],
    ) -> None:
        self.agents, self.teams, self.runs = agents_, teams_, runs_

    @classmethod
    async def load(cls, session: AsyncSession, org_id: uuid.UUID, rows: list[Call]) -> _Names:
        return cls(
            await agents.get_agent_names(session, org_id, {c.agent_id for c in rows}),
            await teams.get_team_names(session, org_id, {c.team_id for c in rows if c.team_id}),
            await get_run_keys(session, org_id, {c.run_pk for c in rows}),
        )

    def _common(self, call: Call) -> dict[str, Any]:
        return {
            "run": call.run_pk,
            "run_id": self.runs.get(call.run_pk, str(call.run_pk)),
            "agent_id": call.agent_id,
            "agent": self.agents.get(call.agent_id),
            "team": self.teams.get(call.team_id) if call.team_id else None,
        }

    def item(self, call: Call) -> CallListItem:
        return CallListItem.model_validate(
            {**_columns(call, CallListItem.model_fields), **self._common(call)}
        )

    def detail(self, call: Call) -> CallDetail:
        doc = call.record or {}
        tokens = doc.get("tokens") or {}
        cost = doc.get("cost") or {}
        return CallDetail.model_validate(
            {
                **_columns(call, CallDetail.model_fields),
                **self._common(call),
                "finish_reason": doc.get("finish_reason"),
                "refusal_reason": doc.get("refusal_reason"),
                "tokens": TokensOut(
                    **{k: v for k, v in tokens.items() if k in TokensOut.model_fields},
                    estimated_input_tokens=doc.get("estimated_input_tokens"),
                ),
                "cost": CostOut(
                    total_usd=call.cost_usd,
                    breakdown=cost.get("breakdown") or {},
                    price_version=call.price_version,
                    priced_model=cost.get("priced_model"),
                    unpriced_reason=call.unpriced_reason,
                ),
                "upstream_ms": doc.get("upstream_ms"),
                "overhead_ms": doc.get("overhead_ms"),
                "request_bytes": doc.get("request_bytes", 0),
                "response_bytes": doc.get("response_bytes", 0),
                "tool_names": doc.get("tool_names") or [],
                "tags": doc.get("tags") or {},
                "prompt": doc.get("prompt"),
                "completion": doc.get("completion"),
            }
        )


def _columns(call: Call, fields: dict[str, Any]) -> dict[str, Any]:
    """The row's own columns that the output model has."""
    return {name: getattr(call, name) for name in fields if name in Call.__table__.columns}
