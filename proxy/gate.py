"""Addon: ask the gate whether a call may go upstream; a refusal is the provider's own error.

The ``Gate`` decides from memory (kill-switch, pause, state health) and, only for calls a
hard budget covers, holds the worst-case cost on the shared spend counters; an allowed call's
holds ride on the call state (``budget``) until the record step settles them. ``decide`` is
async so a budget check (or an approval) can await.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mitmproxy import http

from agentops.wire.record import CallStatus
from proxy.state import CallBudget, CallState, call_state


@dataclass(frozen=True, slots=True)
class GateRequest:
    """What the gate knows about a call before it goes upstream."""

    org: str
    agent: str
    run_id: str
    provider: str
    endpoint: str
    model: str | None
    streaming: bool
    max_output_tokens: int | None
    call_id: str = ""  # the hold id of budget reservations
    key_id: str | None = None  # the verified API key's public id (key-scope kills)
    choices: int = 1  # n: every choice may generate max_output_tokens
    # Tokenizing the prompt is deferred until a budget check asks (see RequestFacts).
    estimate: Callable[[], int | None] = lambda: None

    @property
    def estimated_input_tokens(self) -> int | None:
        return self.estimate()


@dataclass(frozen=True, slots=True)
class Decision:
    allow: bool
    status: int = 403  # 403 kill/policy, 429 rate/budget (the adapter adds Retry-After), 503
    code: str = ""  # machine-readable, e.g. "agent_killed", "budget_exceeded"
    message: str = ""  # shown to the agent's developer
    reference: str = ""  # id the developer can quote to an admin
    reason: str = ""  # stored in the record's refusal_reason
    retry_after_seconds: int | None = None  # overrides the adapter's default Retry-After
    budget: CallBudget | None = None  # an allowed call's budget holds, settled after the call


ALLOW = Decision(allow=True)


class Gate(Protocol):
    async def decide(self, request: GateRequest) -> Decision: ...


class AllowAll:
    async def decide(self, request: GateRequest) -> Decision:
        return ALLOW


SPOOL_FULL = Decision(
    allow=False,
    status=503,
    code="agentops_spool_full",
    message="AgentOps proxy: the local record spool is full; calls are refused until it drains.",
    reason="spool_full",
)


class GateAddon:
    """Decides in ``request`` (body parsed, so estimates are known), or in ``requestheaders``
    when the request body is streamed upstream and would be gone by then."""

    def __init__(self, gate: Gate, refusing: Callable[[], bool]) -> None:
        self._gate = gate
        self._refusing = refusing  # the spool is full and spool_full_mode is refuse_calls

    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.request.stream:
            await self._decide(flow)

    async def request(self, flow: http.HTTPFlow) -> None:
        if not flow.request.stream:
            await self._decide(flow)

    async def _decide(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is None or flow.response is not None:
            return
        if state.adapter is None or state.endpoint is None or state.identity is None:
            return
        if not state.endpoint.metered:
            return
        decision = SPOOL_FULL if self._refusing() else await self._gate.decide(_ask(state))
        if decision.allow:
            state.budget = decision.budget
        else:
            _refuse(flow, state, decision)


def _ask(state: CallState) -> GateRequest:
    assert state.identity is not None
    assert state.endpoint is not None
    facts = state.request
    return GateRequest(
        org=state.identity.org,
        agent=state.identity.agent,
        run_id=state.identity.run_id,
        provider=state.endpoint.provider,
        endpoint=state.endpoint.name,
        model=facts.model or state.endpoint.model_from_path,
        streaming=facts.stream or state.endpoint.streaming_hint,
        max_output_tokens=facts.max_output_tokens,
        call_id=str(state.call_id),
        key_id=state.identity.key_id,
        choices=max(facts.n, 1),
        estimate=lambda: facts.estimated_input_tokens,
    )


def _refuse(flow: http.HTTPFlow, state: CallState, decision: Decision) -> None:
    assert state.adapter is not None
    refusal = state.adapter.refusal(
        decision.status,
        decision.message,
        decision.code,
        decision.reference or str(state.call_id),
        streaming=state.request.stream,
    )
    if decision.retry_after_seconds is not None:
        refusal.headers["retry-after"] = str(decision.retry_after_seconds)
    flow.response = http.Response.make(refusal.status, refusal.body, refusal.headers)
    state.status = CallStatus.REFUSED
    state.refusal_reason = decision.reason or decision.code
    state.http_status = refusal.status
    state.t_done = time.time()
