"""Addon: ask the gate whether a call may go upstream; a refusal is the provider's own error.

The addon turns the flow into a ``Call``, asks its ``Gate`` (in a deployment the control
gate: ``decide`` from memory, then budget holds on the shared counters), and applies the one
``Decision``: matched policies are recorded and an allowed call is redacted or rerouted as they
say (``proxy/shaping.py``); its holds ride on the call state (``budget``) until the record step
settles them; a refusal becomes the provider-shaped error response. ``decide`` is async so a
budget hold (or an approval) can await.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from mitmproxy import http

from agentops.wire.record import CallStatus
from proxy.decision import ALLOW, SPOOL_FULL, Call, Decision
from proxy.shaping import request_json, shape
from proxy.state import CallState, call_state


class Gate(Protocol):
    async def decide(self, call: Call) -> Decision: ...


class AllowAll:
    async def decide(self, call: Call) -> Decision:
        return ALLOW


class GateAddon:
    """Decides in ``request`` (body parsed, so estimates are known), or in ``requestheaders``
    when the request body is streamed upstream and would be gone by then."""

    def __init__(self, gate: Gate, refusing: Callable[[], bool]) -> None:
        self._gate = gate
        self._refusing = refusing  # the spool is full and spool_full_mode is refuse_calls
        # No control state: every call is allowed with nothing matched, held or reshaped, so
        # the call is not described to a gate that would not read it.
        self._allows_all = type(gate) is AllowAll

    # requestheaders and request are plain functions that return an awaitable only when the
    # gate has to be asked: mitmproxy's hook then runs without a task (``proxy._mitm_hooks``).
    def requestheaders(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        return self._decide(flow) if flow.request.stream else None

    def request(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        return None if flow.request.stream else self._decide(flow)

    async def request_stream(self, flow: http.HTTPFlow) -> None:
        """A body of unknown length outgrew the buffer and is about to be streamed
        (``proxy._mitm_late_stream``): neither hook above decided it, so decide now, before
        any of it leaves. A refusal cannot be answered to an agent still sending its body: the
        call is cut, and recorded as refused."""
        pending = self._decide(flow)
        if pending is not None:
            await pending
        if flow.response is not None and flow.killable:
            flow.response = None  # mitmproxy streams no body under an answer already set
            flow.kill()  # type: ignore[no-untyped-call]

    def _decide(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        state = call_state(flow)
        if state is None or flow.response is not None:
            return None
        if state.adapter is None or state.endpoint is None or state.identity is None:
            return None
        if not state.endpoint.metered:
            return None
        if self._refusing():
            _refuse(flow, state, SPOOL_FULL)
            return None
        if self._allows_all:
            return None  # ALLOW: shape() would record no policy, and there is no hold to keep
        return self._ask(flow, state)

    async def _ask(self, flow: http.HTTPFlow, state: CallState) -> None:
        decision = await self._gate.decide(call_of(flow, state))
        shape(flow, state, decision)
        if decision.allowed:
            state.budget = decision.budget
        else:
            _refuse(flow, state, decision)


def call_of(flow: http.HTTPFlow, state: CallState) -> Call:
    assert state.identity is not None
    assert state.endpoint is not None
    facts = state.request
    body: list[Any] = []

    def read_body() -> Any:  # parsed once, and only when a policy reads the content
        if not body:
            body.append(request_json(flow))
        return body[0]

    return Call(
        org=state.identity.org,
        agent=state.identity.agent,
        run_id=state.identity.run_id,
        provider=state.endpoint.provider,
        endpoint=state.endpoint.name,
        model=facts.model or state.endpoint.model_from_path,
        streaming=facts.stream or state.endpoint.streaming_hint,
        max_output_tokens=facts.max_output_tokens,
        call_id=str(state.call_id),
        choices=max(facts.n, 1),
        estimate=lambda: facts.estimated_input_tokens,
        key_id=state.identity.key_id,
        request_bytes=state.request_bytes,
        now=state.started_at,
        body=read_body,
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
