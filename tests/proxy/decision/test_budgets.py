"""Which budgets cover a call, their counter keys, and how refusals read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from proxy.decision.budgets import budget_refusal, counter_period, matching_budgets
from tests.harness.builders import T0, budget, snap

STATE = snap(
    budgets=[
        budget("org"),
        budget("soft", hard=False),
        budget("team-r", scope="team", target="research"),
        budget("agent-bot", scope="agent", target="bot"),
        budget("gpt4o", model="gpt-4o"),
        budget("anthropic", provider="anthropic"),
        budget("runs", scope="run"),
        budget("runs-of-x", scope="run", target="x"),
    ]
)


@pytest.mark.parametrize(
    ("agent", "team", "provider", "model", "expected"),
    [
        ("bot", "research", "openai", "gpt-4o", ["org", "team-r", "agent-bot", "gpt4o", "runs"]),
        ("y", None, "anthropic", "claude", ["org", "anthropic", "runs"]),
        ("x", "ops", "openai", "gpt-4o-mini", ["org", "runs", "runs-of-x"]),
    ],
)
def test_matching_budgets(
    agent: str, team: str | None, provider: str, model: str, expected: list[str]
) -> None:
    found = matching_budgets(STATE, agent=agent, team=team, provider=provider, model=model)
    assert [b.budget_id for b in found] == expected


def test_no_state_no_budgets() -> None:
    assert matching_budgets(None, agent="a", team=None, provider=None, model=None) == []


def test_run_budgets_count_per_run() -> None:
    assert counter_period(budget(scope="run"), "r-42") == "2025-06:run:r-42"
    assert counter_period(budget(), "r-42") == "2025-06"


def test_a_budget_refusal_is_a_429_saying_what_remains_and_when_to_retry() -> None:
    rule = budget("b9", limit="50", period_end=T0 + timedelta(hours=2))
    decision = budget_refusal(rule, "limit", D("1.5"), now=T0)
    assert (decision.status, decision.code, decision.reference) == (429, "budget_exceeded", "b9")
    assert decision.retry_after_seconds == 7200
    assert "$48.50 used of $50.00 (97%), $1.50 left" in decision.message
    assert "max_tokens" not in decision.message


def test_a_refusal_says_what_is_held_in_flight_and_why_a_worst_case_is_held() -> None:
    rule = budget("b9", limit="0.0001")
    decision = budget_refusal(
        rule,
        "limit",
        D("0.00003"),
        now=T0,
        spent=D("0.00005"),
        held=D("0.00002"),
        hold=D("0.000196"),
        output_cap_held=16384,
    )
    assert decision.message.startswith(
        "Budget 'budget b9' refused this call: $0.00005 used of $0.0001 (50%), $0.00002 held "
        "by calls in flight, $0.00003 left; this call would hold up to $0.000196, because it "
        "sets no max_tokens and so the model's whole output cap (16384 tokens) is held: set "
        "max_tokens"
    )


def test_a_run_call_limit_refusal_names_the_limit() -> None:
    rule = budget("r", scope="run", max_calls=25)
    decision = budget_refusal(rule, "calls", D("9"), now=T0)
    assert (decision.code, decision.retry_after_seconds) == ("run_call_limit_exceeded", None)
    assert "25 calls" in decision.message


def test_a_topup_raises_the_limit_until_it_expires_and_refusals_say_so() -> None:
    until = T0 + timedelta(hours=1)
    rule = budget("b", "10", topups=[{"amount_usd": "5", "until": until, "reference": "top_1"}])
    assert [rule.limit_at(T0), rule.limit_at(until)] == [D(15), D(10)]
    during = budget_refusal(rule, "cost", D(0), now=T0, spent=D(15))
    assert "$15.00 used of $15.00" in during.message
    assert "($5.00 of it a temporary top-up)" in during.message
    after = budget_refusal(rule, "cost", D(0), now=until, spent=D(10))
    assert "agentops budgets topup b --amount USD" in after.message
    assert "topups" not in budget("plain").model_dump()  # older proxies read it unchanged
