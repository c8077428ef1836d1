"""The meter addon on its own (mitmproxy's ``tflow``): the provider's answer becomes the call's
facts and status; a refusal already decided is not metered again."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mitmproxy import flow as flow_module
from mitmproxy import http

from agentops.settings import ProxySettings
from agentops.wire.control import ControlSnapshot
from agentops.wire.record import CallStatus
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.meter import Meter
from tests.factories import (
    addon_context,  # noqa: F401  # fixture
    front,
    llm_flow,
)
from tests.harness.builders import rule, snap

pytestmark = pytest.mark.usefixtures("addon_context")


def respond(flow: http.HTTPFlow, status: int, body: dict[str, object]) -> None:
    flow.response = http.Response.make(
        status, json.dumps(body), {"content-type": "application/json"}
    )


def completion() -> dict[str, object]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "yo"}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }


def metered(flow: http.HTTPFlow) -> None:
    meter = Meter()
    meter.request(flow)
    meter.responseheaders(flow)
    meter.response(flow)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, completion(), CallStatus.OK),
        (429, {"error": {"message": "slow down"}}, CallStatus.ERROR),
    ],
)
def test_the_answer_sets_the_status_and_http_status(
    status: int, body: dict[str, object], expected: CallStatus
) -> None:
    flow = llm_flow()
    state = front(flow)
    assert state is not None
    Meter().request(flow)
    assert state.t_sent is not None
    respond(flow, status, body)
    metered(flow)
    assert (state.status, state.http_status) == (expected, status)


def test_usage_and_served_model_come_from_the_answer() -> None:
    flow = llm_flow()
    state = front(flow)
    assert state is not None
    respond(flow, 200, completion())
    metered(flow)
    assert state.response is not None
    assert state.response.parse_error is None
    assert state.response.model_served == "gpt-4o-2024-08-06"
    assert state.response.usage is not None


def test_a_call_already_decided_is_left_as_it_is() -> None:
    flow = llm_flow()
    state = front(flow)
    assert state is not None
    state.status = CallStatus.REFUSED
    respond(flow, 403, {"error": {"message": "no"}})
    metered(flow)
    assert (state.status, state.response) == (CallStatus.REFUSED, None)


def test_a_client_that_goes_away_cancels_the_call() -> None:
    flow = llm_flow()
    state = front(flow)
    assert state is not None
    flow.error = flow_module.Error("client disconnected")
    Meter().error(flow)
    assert state.status == CallStatus.CANCELLED


def test_the_stream_tee_holds_its_flow_weakly() -> None:
    """The tee hangs off the flow's response; its way to close the upstream must not hold the
    flow, or every streamed call would be a reference cycle (flow -> response -> tee -> flow)
    kept in memory until a full collection (11-16 MiB of finished streams under load)."""
    import gc
    import types

    from mitmproxy.test import tflow

    from proxy.meter import _closer

    closed: list[object] = []

    def close(flow: object) -> bool:
        closed.append(flow)
        return True

    flow = tflow.tflow(resp=True)
    on_cut = _closer(flow, close)
    assert on_cut is not None
    on_cut()
    assert closed == [flow]
    closed.clear()
    # Nothing strongly reachable from the closer is the flow.
    seen, todo = {id(on_cut)}, [on_cut]
    while todo:
        for referent in gc.get_referents(todo.pop()):
            assert referent is not flow
            if id(referent) not in seen and not isinstance(referent, (type, types.ModuleType)):
                seen.add(id(referent))
                todo.append(referent)
    assert _closer(flow, None) is None


CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'


@pytest.mark.parametrize(
    "kill",
    [
        lambda org, agent: snap(org, 3, rules=[rule("agent", agent)]),
        lambda org, agent: snap(org, 3, rules=[rule("org", org)]),
        lambda org, agent: snap(org, 3, agents={agent: {"status": "killed"}}),
    ],
)
def test_a_kill_cuts_a_live_stream_at_its_next_chunk(
    kill: Callable[[str, str], ControlSnapshot],
) -> None:
    """The tee asks the gate on its first chunk and again after each snapshot applied (not per
    chunk): a kill applied mid-stream ends the stream at its next chunk, with the provider's
    error event, and closes the upstream."""
    flow = llm_flow(x_agent="bot")
    state = front(flow)
    assert state is not None
    assert state.identity is not None
    org, agent = state.identity.org, state.identity.agent
    holder = ControlStateHolder()
    holder.apply(snap(org, 1))
    closed: list[http.HTTPFlow] = []
    meter = Meter(ControlGate(holder, ProxySettings()).stream_cut, closed.append)
    flow.response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
    meter.responseheaders(flow)
    tee = flow.response.stream
    assert callable(tee)
    assert [tee(CHUNK), tee(CHUNK)] == [CHUNK, CHUNK]
    holder.apply(snap(org, 2, agents={"someone-else": {"status": "killed"}}))
    assert tee(CHUNK) == CHUNK  # judged again, not covered
    holder.apply(kill(org, agent))
    ended = tee(CHUNK)
    assert b"error" in ended
    assert ended != CHUNK
    assert (state.status, closed) == (CallStatus.KILLED, [flow])
    assert tee(CHUNK) == b""  # what upstream still sends is dropped


def test_a_stream_starting_under_a_kill_is_cut_at_its_first_chunk() -> None:
    flow = llm_flow(x_agent="bot")
    state = front(flow)
    assert state is not None
    assert state.identity is not None
    holder = ControlStateHolder()
    holder.apply(snap(state.identity.org, 1, rules=[rule("agent", state.identity.agent)]))
    meter = Meter(ControlGate(holder, ProxySettings()).stream_cut)
    flow.response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
    meter.responseheaders(flow)
    assert callable(flow.response.stream)
    assert flow.response.stream(CHUNK) != CHUNK
    assert state.status == CallStatus.KILLED
