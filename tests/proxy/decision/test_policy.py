"""decide() with policies: how matches fold into the one Decision, and where they sit in the
order (after kill/pause and state health, before budgets)."""

from __future__ import annotations

from typing import Any

from agentops.settings import ProxySettings
from agentops.statebus import MemoryRateLimiter
from policies import compile_policies
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.decision import Call, Decision, StateHealth, decide
from tests.harness.builders import budget, rule, snap

FRESH = StateHealth(True, "fresh", 1.0, 5)
CALL = Call(
    "acme", "bot", "run-1", "openai", "chat.completions", "gpt-4o",
    max_output_tokens=10, estimate=lambda: 100,
    body=lambda: {"messages": [{"role": "user", "content": "mail bob@example.com"}]},
)  # fmt: skip


def run(*documents: dict[str, Any], state: Any = None, call: Call = CALL) -> Decision:
    docs = [{"id": f"id-{d['name']}", **d} for d in documents]
    return decide(state or snap(), call, health=FRESH, policies=compile_policies(docs))


def applied(decision: Decision) -> list[tuple[str, bool]]:
    return [(m.name, m.applied) for m in decision.matched if m.kind == "policy"]


def test_deny_names_the_policy_and_stops_the_rest() -> None:
    decision = run(
        {"name": "no-4o", "action": "deny", "priority": 1, "when": {"models": ["gpt-4o"]}},
        {"name": "later", "action": "route", "route_to": "x", "priority": 2},
    )
    assert (decision.action, decision.status, decision.code) == ("refuse", 403, "policy_denied")
    assert decision.reference == "id-no-4o"
    assert decision.reason == "policy:no-4o"
    assert "Policy 'no-4o' denied this call" in decision.message
    assert applied(decision) == [("no-4o", True), ("later", False)]


def test_allow_exempts_from_what_comes_after() -> None:
    decision = run(
        {"name": "vip", "action": "allow", "priority": 1, "scope": {"kind": "agent", "values": ["bot"]}},
        {"name": "deny-all", "action": "deny", "priority": 2},
    )  # fmt: skip
    assert decision.allowed
    assert applied(decision) == [("vip", True), ("deny-all", False)]


def test_shadow_records_what_it_would_have_done_and_changes_nothing() -> None:
    decision = run({"name": "would", "action": "deny", "mode": "shadow"})
    assert decision.allowed
    [match] = decision.matched
    assert (match.action, match.mode, match.applied) == ("deny", "shadow", False)


def test_redact_and_route_shape_an_allowed_call() -> None:
    decision = run(
        {"name": "mask", "action": "redact", "when": {"detectors": ["email"]}},
        {"name": "cheap", "action": "route", "route_to": "gpt-4o-mini"},
        {"name": "dearer", "action": "route", "route_to": "gpt-4o"},
        {"name": "tell", "action": "alert"},
    )
    assert decision.allowed
    assert decision.route_to == "gpt-4o-mini"  # the first route wins
    assert [d.name for d in decision.redact] == ["email"]
    assert applied(decision) == [("cheap", True), ("dearer", False), ("mask", True), ("tell", True)]


def test_require_approval_holds_with_the_rules_timeout() -> None:
    decision = run(
        {"name": "ask", "action": "require_approval", "approval": {"timeout_seconds": 30}}
    )
    assert (decision.action, decision.code, decision.hold_seconds) == (
        "hold",
        "approval_required",
        30,
    )


def test_kill_comes_before_policies_and_policies_before_budgets() -> None:
    killed = snap(rules=[rule("agent", "bot")])
    assert run({"name": "vip", "action": "allow"}, state=killed).code == "agent_killed"
    budgeted = snap(budgets=[budget("b1", model="gpt-4o-mini")])
    denied = run({"name": "no", "action": "deny"}, state=budgeted)
    assert denied.holds == ()  # a refused call takes no budget hold
    routed = run({"name": "cheap", "action": "route", "route_to": "gpt-4o-mini"}, state=budgeted)
    assert [b.budget_id for b in routed.holds] == ["b1"]  # budgets of the model it is sent to
    assert routed.worst_case_usd is not None
    plain = decide(budgeted, CALL, health=FRESH)
    assert plain.holds == ()  # gpt-4o is not covered by the gpt-4o-mini budget


def test_rate_limits_name_whose_allowance_and_what_the_call_takes() -> None:
    decision = run(
        {"name": "rpm", "action": "rate_limit", "limit": {"requests_per_minute": 60, "per": "team"}},
        {"name": "tpm", "action": "rate_limit", "limit": {"tokens_per_minute": 10_000}},
        state=snap(agents={"bot": {"team": "research"}}),
    )  # fmt: skip
    assert decision.allowed
    requests, tokens = decision.rate_limits
    assert (requests.key, requests.cost, requests.unit) == (
        "acme:id-rpm:team:research:req",
        1,
        "requests",
    )
    assert (tokens.key, tokens.cost, tokens.per_minute) == (
        "acme:id-tpm:agent:bot:tok",
        110,
        10_000,
    )
    shadow = run({"name": "s", "action": "rate_limit", "mode": "shadow",
                  "limit": {"requests_per_minute": 1}})  # fmt: skip
    assert shadow.rate_limits == ()  # a shadow limit takes nothing


async def test_the_gate_refuses_past_the_limit_with_429_and_retry_after() -> None:
    holder = ControlStateHolder()
    doc = {"id": "p1", "name": "rpm", "action": "rate_limit", "limit": {"requests_per_minute": 2}}
    holder.apply(snap(version=1).model_copy(update={"policies": [doc]}))
    holder.mark_synced()
    gate = ControlGate(holder, ProxySettings(), limiter=MemoryRateLimiter())
    answers = [await gate.decide(CALL) for _ in range(3)]
    assert [a.allowed for a in answers] == [True, True, False]
    refused = answers[2]
    assert (refused.status, refused.code, refused.reason) == (429, "rate_limited", "rate_limit:rpm")
    assert refused.retry_after_seconds == 30
    assert "Rate limit 'rpm' (2 requests per minute)" in refused.message
