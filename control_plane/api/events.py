"""/events/{run_id}: a run's timeline in order.

A call's own events (started, finished) are read from the ``calls`` table rather than written
twice at ingestion; the ``events`` table holds everything else (events an SDK reports, and
later kill/resume, policy and approval events). Both are merged here by time.
"""

from __future__ import annotations

import uuid
from typing import Any

from agentops.money import money_text
from control_plane.endpoint import ApiRequest
from control_plane.errors import found
from control_plane.schemas.runs import EventOut, EventPage
from control_plane.store import calls, events, runs
from control_plane.store.tables import Call

_STARTED_BIT = 1 << 61  # a started event's id: the call id with one random bit flipped


async def list_run_events(req: ApiRequest) -> EventPage:
    ref = req.request.match_info["run_id"]
    org_id = req.principal.org_id
    async with req.transaction() as session:
        run = found(await runs.get_run(session, org_id, ref), f"no such run: {ref!r}")
        stored = await events.list_events(session, org_id, run.id)
        call_rows = await calls.list_calls_for_run(session, org_id, run.id)
    items = [EventOut.model_validate(row, from_attributes=True) for row in stored]
    items += [event for call in call_rows for event in call_events(call)]
    items.sort(key=lambda e: (e.at, e.kind != "call.started", e.id))
    return EventPage(run=run.id, items=items)


def call_events(call: Call) -> list[EventOut]:
    """started (streamed or still running) and finished (once final) events of one call."""
    data: dict[str, Any] = {
        "model": call.model, "provider": call.provider, "endpoint": call.endpoint,
        "status": call.status, "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens, "latency_ms": call.latency_ms,
        "cost_usd": None if call.cost_usd is None else money_text(call.cost_usd),
    }  # fmt: skip
    out = []
    if call.streamed or call.status == "in_progress":
        started = uuid.UUID(int=call.call_id.int ^ _STARTED_BIT)
        out.append(EventOut(id=started, at=call.started_at, kind="call.started",
                            call_id=call.call_id, data=data))  # fmt: skip
    if call.status != "in_progress":
        out.append(EventOut(id=call.call_id, at=call.ended_at or call.started_at,
                            kind="call.finished", call_id=call.call_id, data=data))  # fmt: skip
    return out
