"""The gate addon on its own, driven by mitmproxy's ``tflow``/``taddons`` helpers: it asks the gate
with the call, answers a refusal in the provider's shape, and refuses while the spool is full."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from mitmproxy.test import tflow, tutils

from agentops.statebus import MemorySpendCounters
from agentops.wire.record import CallStatus
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.decision import ALLOW, Call, Decision
from proxy.gate import AllowAll, GateAddon
from proxy.state import call_state
from tests.factories import PROXY_SETTINGS as SETTINGS
from tests.factories import (
    addon_context,  # noqa: F401  # fixture
    front,
    llm_flow,
)
from tests.harness.builders import budget, rule, snap
from tests.proxy.helpers import settle

pytestmark = pytest.mark.usefixtures("addon_context")


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
    await settle(GateAddon(gate, lambda: False).request(flow))
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
    await settle(GateAddon(Recording(KILLED), lambda: False).request(flow))
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
    await settle(GateAddon(gate, lambda: True).request(flow))
    assert flow.response is not None
    assert flow.response.status_code == 503
    assert gate.calls == []


async def test_gate_addon_ignores_non_llm_flows_and_decides_streamed_bodies_on_headers() -> None:
    gate = Recording(KILLED)
    plain = tflow.tflow(req=tutils.treq(host="example.com"))
    await settle(GateAddon(gate, lambda: False).request(plain))
    assert plain.response is None
    assert gate.calls == []
    streamed = llm_flow()
    front(streamed)
    streamed.request.stream = True
    await settle(GateAddon(gate, lambda: False).request(streamed))
    assert streamed.response is None  # decided in requestheaders instead
    await settle(GateAddon(gate, lambda: False).requestheaders(streamed))
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
    await settle(addon.request(rogue))
    assert rogue.response is not None
    assert rogue.response.status_code == 403
    good = llm_flow(X_AgentOps_Agent="bot")
    state = front(good)
    await settle(addon.request(good))
    assert good.response is None
    assert state is not None
    assert state.budget is not None
    assert (await counters.usage("b1", "2025-06")).holds == 1
    state.budget.close(Decimal("0.0001"), reached_provider=False)
    await gate.close()


async def test_without_control_state_a_call_ends_as_an_allowing_gate_leaves_it() -> None:
    """``AllowAll`` is not asked at all; the call state is what an answer of ALLOW makes,
    and a full spool still refuses."""
    allowed, asked = llm_flow(), llm_flow()
    front(allowed)
    front(asked)
    await settle(GateAddon(AllowAll(), lambda: False).request(allowed))
    await settle(GateAddon(Recording(ALLOW), lambda: False).request(asked))
    assert allowed.response is None
    assert asked.response is None
    state, expected = call_state(allowed), call_state(asked)
    assert state is not None
    assert expected is not None
    assert (state.policies, state.budget, state.status, state.routed_to) == (
        expected.policies,
        expected.budget,
        expected.status,
        expected.routed_to,
    )
    full = llm_flow()
    front(full)
    await settle(GateAddon(AllowAll(), lambda: True).request(full))
    assert full.response is not None
    assert full.response.status_code == 503
