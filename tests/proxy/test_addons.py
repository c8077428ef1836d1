"""Each addon of the chain on its own, driven by mitmproxy's ``tflow``/``taddons`` helpers: no
sockets, no upstream. The end-to-end tests beside these run the same chain behind real
listeners with the official SDKs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from agentops.settings import ProxySettings
from agentops.statebus import MemorySpendCounters
from agentops.wire.record import CallStatus
from proxy.classify import Classify
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.decision import ALLOW, Call, Decision
from proxy.gate import GateAddon
from proxy.identify import Identify
from proxy.identity import Sessions, UnverifiedKeys
from proxy.meter import Meter
from proxy.pipeline import intercepted_hosts
from proxy.providers.registry import ProviderRegistry, resolve_reverse
from proxy.record import Record
from proxy.route import Route
from proxy.state import CallState, call_state
from proxy.tokens import count_text
from tests.harness.builders import budget, rule, snap, wait_until

SETTINGS = ProxySettings(default_org="acme")
BODY = {"model": "gpt-4o", "max_tokens": 7, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(autouse=True)
def ctx() -> Iterator[taddons.context]:
    with taddons.context() as context:
        yield context


def llm_flow(host: str = "api.openai.com", body: Any = BODY, **headers: str) -> http.HTTPFlow:
    request = tutils.treq(
        host=host,
        port=443,
        scheme=b"https",
        method=b"POST",
        path=b"/v1/chat/completions",
        headers=http.Headers(((b"content-type", b"application/json"),)),
        content=json.dumps(body).encode(),
    )
    for name, value in headers.items():
        request.headers[name.replace("_", "-")] = value
    return tflow.tflow(req=request)


def front(flow: http.HTTPFlow) -> CallState | None:
    """route -> identify -> classify, as the pipeline runs them."""
    Route(intercepted_hosts(SETTINGS), {}, None, resolve_reverse).requestheaders(flow)
    identify = Identify(SETTINGS, UnverifiedKeys("acme"), Sessions(60))
    identify.requestheaders(flow)
    classify = Classify(ProviderRegistry.from_settings(SETTINGS).adapter_for_host)
    classify.requestheaders(flow)
    classify.request(flow)
    return call_state(flow)


def test_route_leaves_other_hosts_alone_and_attaches_state_to_llm_hosts() -> None:
    other = tflow.tflow(req=tutils.treq(host="example.com", port=443))
    Route(intercepted_hosts(SETTINGS), {}, None, resolve_reverse).requestheaders(other)
    assert call_state(other) is None
    assert front(llm_flow()) is not None


def test_route_sends_an_overridden_host_elsewhere() -> None:
    flow = llm_flow()
    Route(
        intercepted_hosts(SETTINGS), {"api.openai.com": "http://127.0.0.1:9"}, None, resolve_reverse
    ).requestheaders(flow)
    state = call_state(flow)
    assert state is not None
    assert state.host == "api.openai.com"
    assert (flow.request.host, flow.request.port, flow.request.scheme) == ("127.0.0.1", 9, "http")


def test_identify_takes_agent_and_run_from_our_headers_and_strips_them() -> None:
    flow = llm_flow(X_AgentOps_Agent="bot", X_AgentOps_Run_Id="run-7")
    state = front(flow)
    assert state is not None
    assert state.identity is not None
    assert (state.identity.org, state.identity.agent, state.identity.run_id) == (
        "acme",
        "bot",
        "run-7",
    )
    assert not [n for n in flow.request.headers if n.lower().startswith("x-agentops")]


def test_classify_reads_the_model_and_the_output_cap() -> None:
    state = front(llm_flow())
    assert state is not None
    assert state.endpoint is not None
    assert (state.endpoint.provider, state.request.model, state.request.max_output_tokens) == (
        "openai",
        "gpt-4o",
        7,
    )


class Recording:
    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.calls: list[Call] = []

    async def decide(self, call: Call) -> Decision:
        self.calls.append(call)
        return self.decision


KILLED = Decision(
    action="refuse", status=403, code="agent_killed", message="stopped", reference="ref-1"
)


async def test_gate_addon_asks_with_the_call_and_lets_an_allowed_call_through() -> None:
    flow = llm_flow(X_AgentOps_Agent="bot")
    front(flow)
    gate = Recording(ALLOW)
    await GateAddon(gate, lambda: False).request(flow)
    assert flow.response is None
    [call] = gate.calls
    assert (call.org, call.agent, call.model, call.max_output_tokens) == (
        "acme",
        "bot",
        "gpt-4o",
        7,
    )
    assert call.estimated_input_tokens is not None
    assert call.estimated_input_tokens > 0


async def test_gate_addon_answers_a_refusal_in_the_providers_shape() -> None:
    flow = llm_flow()
    state = front(flow)
    await GateAddon(Recording(KILLED), lambda: False).request(flow)
    assert flow.response is not None
    assert state is not None
    assert flow.response.status_code == 403
    error = json.loads(flow.response.get_text() or "")["error"]
    assert (error["message"], error["code"]) == (
        "stopped (AgentOps reference: ref-1)",
        "agent_killed",
    )
    assert (state.status, state.refusal_reason, state.http_status) == (
        CallStatus.REFUSED,
        "agent_killed",
        403,
    )


async def test_gate_addon_refuses_with_503_while_the_spool_is_full_without_asking() -> None:
    flow = llm_flow()
    front(flow)
    gate = Recording(ALLOW)
    await GateAddon(gate, lambda: True).request(flow)
    assert flow.response is not None
    assert flow.response.status_code == 503
    assert gate.calls == []


async def test_gate_addon_ignores_non_llm_flows_and_decides_streamed_bodies_on_headers() -> None:
    gate = Recording(KILLED)
    plain = tflow.tflow(req=tutils.treq(host="example.com"))
    await GateAddon(gate, lambda: False).request(plain)
    assert plain.response is None
    assert gate.calls == []
    streamed = llm_flow()
    front(streamed)
    streamed.request.stream = True
    await GateAddon(gate, lambda: False).request(streamed)
    assert streamed.response is None  # decided in requestheaders instead
    await GateAddon(gate, lambda: False).requestheaders(streamed)
    assert streamed.response is not None
    assert streamed.response.status_code == 403


async def test_gate_addon_with_the_control_gate_kills_and_holds_budgets() -> None:
    holder = ControlStateHolder()
    holder.apply(snap(rules=[rule("agent", "rogue")], budgets=[budget("b1", limit="5")]))
    holder.mark_synced()
    counters = MemorySpendCounters()
    gate = ControlGate(holder, SETTINGS, counters)
    addon = GateAddon(gate, lambda: False)
    rogue = llm_flow(X_AgentOps_Agent="rogue")
    front(rogue)
    await addon.request(rogue)
    assert rogue.response is not None
    assert rogue.response.status_code == 403
    good = llm_flow(X_AgentOps_Agent="bot")
    state = front(good)
    await addon.request(good)
    assert good.response is None
    assert state is not None
    assert state.budget is not None
    assert (await counters.usage("b1", "2025-06")).holds == 1
    state.budget.close(Decimal("0.0001"), reached_provider=False)
    await gate.close()


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
    await GateAddon(gate, lambda: False).request(flow)
    meter, writer = Meter(), Writer()
    record = Record(writer, count_text=count_text, azure_deployments={}, proxy_id="p1")
    meter.request(flow)
    answer(flow)
    meter.responseheaders(flow)
    await record.responseheaders(flow)
    meter.response(flow)
    await record.response(flow)
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
