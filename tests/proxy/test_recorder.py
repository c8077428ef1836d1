"""The record addon on its own (after the meter, as the pipeline orders them): it writes the call
as a wire record and settles the call's budget hold with the real cost."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http

from agentops.statebus import MemorySpendCounters
from agentops.wire.record import CallRecord, CallStatus
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.gate import GateAddon
from proxy.meter import Meter
from proxy.open_calls import OpenCalls
from proxy.recorder import Record
from proxy.state import CallState
from proxy.tokenizer import count_text
from tests.factories import (
    BODY,
    addon_context,  # noqa: F401  # fixture
    front,
    llm_flow,
)
from tests.factories import PROXY_SETTINGS as SETTINGS
from tests.harness.builders import budget, snap, wait_until
from tests.proxy.helpers import settle

pytestmark = pytest.mark.usefixtures("addon_context")


class Writer:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def append_json(self, document: bytes) -> int | None:
        self.records.append(json.loads(document))
        return len(self.records)

    async def until_durable(self, seq: int) -> None:
        return None


def answer(flow: http.HTTPFlow) -> None:
    body = {
        "id": "c1",
        "object": "chat.completion",
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "yo"}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    flow.response = http.Response.make(200, json.dumps(body), {"content-type": "application/json"})


async def test_meter_and_record_write_the_call_and_settle_its_budget_hold() -> None:
    holder = ControlStateHolder()
    holder.apply(snap(budgets=[budget("b1", limit="5")]))
    holder.mark_synced()
    counters = MemorySpendCounters()
    gate = ControlGate(holder, SETTINGS, counters)
    flow = llm_flow(X_AgentOps_Agent="bot")
    state = front(flow)
    await settle(GateAddon(gate, lambda: False).request(flow))
    meter, writer = Meter(), Writer()
    record = Record(writer, count_text=count_text, azure_deployments={}, proxy_id="p1")
    meter.request(flow)
    answer(flow)
    meter.responseheaders(flow)
    await settle(record.responseheaders(flow))
    meter.response(flow)
    await settle(record.response(flow))
    assert state is not None
    assert state.status == CallStatus.OK
    [written] = writer.records
    assert (written["agent"], written["model_served"], written["status"]) == (
        "bot",
        "gpt-4o-2024-08-06",
        "ok",
    )
    assert written["tokens"]["input"] == 9
    assert "policies" not in written  # no policy matched: the record is what it always was
    await wait_until(lambda: len(gate.settlements) == 0)  # settled in the background
    usage = await counters.usage("b1", "2025-06")
    assert (usage.holds, usage.calls) == (0, 1)
    # the real cost, in the counters' micro-dollars
    assert abs(usage.spent - Decimal(str(written["cost"]["total_usd"]))) < Decimal("0.000001")


async def test_record_leaves_flows_that_are_not_llm_calls_alone() -> None:
    writer = Writer()
    plain = llm_flow(host="example.com")
    answer(plain)
    record = Record(writer, count_text=count_text, azure_deployments={}, proxy_id="p1")
    await settle(record.responseheaders(plain))
    await settle(record.response(plain))
    assert writer.records == []


async def test_record_writes_a_refused_call_once_as_a_valid_wire_record() -> None:
    writer = Writer()
    flow = llm_flow(X_AgentOps_Agent="bot")
    state = front(flow)
    assert state is not None
    state.status, state.http_status, state.refusal_reason = CallStatus.REFUSED, 403, "agent_killed"
    flow.response = http.Response.make(403, b"{}", {"content-type": "application/json"})
    record = Record(writer, count_text=count_text, azure_deployments={}, proxy_id="p1")
    await settle(record.responseheaders(flow))
    await settle(record.response(flow))
    [written] = writer.records
    parsed = CallRecord.model_validate(written)
    assert (parsed.status, parsed.http_status, parsed.agent) == (CallStatus.REFUSED, 403, "bot")


def _stream(flow: http.HTTPFlow) -> CallState:
    state = front(flow)
    assert state is not None
    assert state.adapter is not None
    assert state.endpoint is not None
    flow.response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
    state.http_status = 200
    state.meter = state.adapter.stream_meter(state.endpoint, state.request)
    return state


def _journal(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The open-call journal's latest document per call (removed calls left out)."""
    latest: dict[str, dict[str, Any]] = {}
    journal = tmp_path / "open" / "journal"
    for line in journal.read_bytes().splitlines() if journal.exists() else []:
        if line.startswith(b"-"):
            latest.pop(line[1:].decode(), None)
        else:
            document = json.loads(line[1:])
            latest[document["call_id"]] = document
    return latest


async def test_streams_still_open_get_their_prompt_estimate_each_when_due(
    tmp_path: Path,
) -> None:
    writer, opened = Writer(), OpenCalls(tmp_path)
    record = Record(
        writer, count_text=count_text, azure_deployments={}, proxy_id="p1", open_calls=opened
    )
    flows = [llm_flow(body={**BODY, "stream": True}) for _ in range(3)]
    first, finished, later = (_stream(flow) for flow in flows)
    for flow in flows[:2]:
        await settle(record.responseheaders(flow))
    await wait_until(lambda: len(writer.records) == 2)  # both in-progress records written
    finished.t_done = 1.0  # ended (its final record supersedes): no estimate for it
    opened.remove(str(finished.call_id))
    await asyncio.sleep(0.2)
    await settle(record.responseheaders(flows[2]))  # due 0.2 s after the first two
    await wait_until(lambda: len(writer.records) == 3)
    ids = str(first.call_id), str(later.call_id)
    await wait_until(lambda: _journal(tmp_path)[ids[0]]["estimated_input_tokens"] is not None)
    await wait_until(lambda: _journal(tmp_path)[ids[1]]["estimated_input_tokens"] is not None)
    assert set(_journal(tmp_path)) == set(ids)
    record.done()


async def test_a_stream_that_ends_is_not_held_for_its_estimate(tmp_path: Path) -> None:
    """A stream that ends before its estimate is due leaves the estimate queue at once: the
    record holds nothing of it (flow, state) for the rest of the wait."""
    import gc
    import weakref

    writer, opened = Writer(), OpenCalls(tmp_path)
    record = Record(
        writer, count_text=count_text, azure_deployments={}, proxy_id="p1", open_calls=opened
    )
    flow = llm_flow(body={**BODY, "stream": True})
    state = _stream(flow)
    await settle(record.responseheaders(flow))
    await wait_until(lambda: len(writer.records) == 1)  # in progress, queued for its estimate
    await settle(record.response(flow))
    assert [r["status"] for r in writer.records] == ["in_progress", "upstream_failed"]
    held = weakref.ref(flow)
    del flow, state
    gc.collect()
    assert held() is None
    assert _journal(tmp_path) == {}
    record.done()
