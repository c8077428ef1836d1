"""Per-call state the addons share, attached to the flow.

The route addon creates it for LLM traffic only; every later addon starts with
``state = call_state(flow)`` and does nothing for flows that have none (tunnelled or plain
non-LLM traffic passes through untouched).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from mitmproxy import http

from agentops.ids import uuid7
from agentops.wire.record import CallStatus, PolicyOutcome
from proxy.decision import CallBudget
from proxy.providers.base import (
    Endpoint,
    ProviderAdapter,
    RequestFacts,
    ResponseFacts,
    StreamMeter,
)

_KEY = "agentops.call"

Mode = Literal["forward", "reverse"]


@dataclass(slots=True)
class Identity:
    org: str
    agent: str
    run_id: str
    run_source: str  # header | traceparent | session | sdk
    # Public id of the verified API key that authorised the call: key-scope kills and
    # api_key policies match it; records carry it as ``api_key_id``.
    key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # X-AgentOps-Tags


@dataclass(slots=True)
class CallState:
    mode: Mode
    host: str  # the provider host as the agent addressed it (before any upstream override)
    port: int
    path: str  # without the query string: Gemini puts its API key there
    method: str
    started_at: datetime
    t_start: float  # wall clock (time.time()) of the first request byte, as mitmproxy saw it
    call_id: uuid.UUID = field(default_factory=uuid7)
    adapter: ProviderAdapter | None = None
    endpoint: Endpoint | None = None
    identity: Identity | None = None
    request: RequestFacts = field(default_factory=RequestFacts)
    request_bytes: int = 0
    t_sent: float | None = None  # our request hooks done, request goes upstream
    t_first_token: float | None = None
    t_done: float | None = None
    meter: StreamMeter | None = None
    response: ResponseFacts | None = None
    response_bytes: int = 0
    status: CallStatus | None = None
    http_status: int | None = None
    error_message: str | None = None
    refusal_reason: str | None = None
    in_progress_written: bool = False
    budget: CallBudget | None = None  # holds on hard budgets, from the gate
    policies: list[PolicyOutcome] = field(default_factory=list)  # matched policies, from the gate
    routed_to: str | None = None  # the model a route policy sent instead of the requested one


def attach(flow: http.HTTPFlow, state: CallState) -> CallState:
    flow.metadata[_KEY] = state
    return state


def call_state(flow: http.HTTPFlow) -> CallState | None:
    state = flow.metadata.get(_KEY)
    return state if isinstance(state, CallState) else None
