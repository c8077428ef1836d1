"""What an allowed call's policies do to it before it goes upstream: mask what redact policies
found, send it to the model a route policy names, and record every policy that matched (with
what it did, or in shadow mode would have done) on the call state for its record."""

from __future__ import annotations

from typing import Any

import orjson
from mitmproxy import http

from agentops.wire.record import PolicyOutcome
from policies import redact
from proxy import metrics
from proxy.decision import Decision
from proxy.state import CallState


def request_json(flow: http.HTTPFlow) -> Any:
    """The request body as JSON, or None (streamed upstream, empty or not JSON)."""
    if flow.request.stream:
        return None
    try:
        return orjson.loads(flow.request.get_content(strict=False) or b"null")
    except orjson.JSONDecodeError:
        return None


def shape(flow: http.HTTPFlow, state: CallState, decision: Decision) -> None:
    outcomes = [
        PolicyOutcome(
            policy_id=m.reference,
            name=m.name,
            action=m.action,
            mode=m.mode,
            applied=m.applied,
            reason=m.reason[:2000],
        )
        for m in decision.matched
        if m.kind == "policy" and m.action
    ]
    for outcome in outcomes:
        metrics.POLICY_MATCHES.labels(outcome.name, outcome.action, str(outcome.applied)).inc()
    if decision.allowed and (decision.redact or decision.route_to):
        _rewrite(flow, state, decision, outcomes)
    state.policies = outcomes


def _rewrite(
    flow: http.HTTPFlow, state: CallState, decision: Decision, outcomes: list[PolicyOutcome]
) -> None:
    body = request_json(flow)
    if not isinstance(body, dict):
        return
    masked: dict[str, int] = {}
    if decision.redact:
        body, masked = redact(body, decision.redact)
    routed_from = body.get("model") if decision.route_to else None
    if decision.route_to and isinstance(routed_from, str):
        body["model"] = decision.route_to
        state.routed_to = decision.route_to
    if masked or state.routed_to:
        flow.request.set_content(orjson.dumps(body))
    for outcome in outcomes:
        if not outcome.applied:
            continue
        if outcome.action == "redact":
            outcome.masked = masked
        elif outcome.action == "route" and state.routed_to:
            outcome.routed_from, outcome.routed_to = routed_from, state.routed_to
