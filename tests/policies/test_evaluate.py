"""Which policies match a call, and why: one row per condition."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from policies import Facts, Policy, TimeWindow, compile_policies, evaluate, in_window

BODY = {
    "model": "gpt-4o",
    "messages": [
        {"role": "user", "content": "deploy"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "shell"}}]},
    ],
    "tools": [{"type": "function", "function": {"name": "search_web"}}],
}
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def facts(**over: Any) -> Facts:
    values: dict[str, Any] = {
        "provider": "openai",
        "endpoint": "chat.completions",
        "model": "gpt-4o",
        "agent": "bot",
        "team": "research",
        "tags": {"tier": "gold"},
        "environment": "prod",
        "api_key": "abc123abc123",
        "request_bytes": 2_000,
        "max_tokens": 500,
        "now": MONDAY_10,
        "body": lambda: BODY,
        "estimated_cost": lambda: Decimal("0.02"),
    }
    values.update(over)
    return Facts(**values)


def matches(policy: dict[str, Any], **over: Any) -> bool:
    compiled = compile_policies([{"id": "p1", "action": "deny", "name": "p", **policy}])
    assert compiled.errors == ()
    return bool(evaluate(compiled, facts(**over)))


CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("no conditions: every call", {}, {}, True),
    ("team scope", {"scope": {"kind": "team", "values": ["research"]}}, {}, True),
    ("other team", {"scope": {"kind": "team", "values": ["ops"]}}, {}, False),
    ("agent scope", {"scope": {"kind": "agent", "values": ["bot"]}}, {}, True),
    ("tag key=value", {"scope": {"kind": "tag", "values": ["tier=gold"]}}, {}, True),
    ("tag key only", {"scope": {"kind": "tag", "values": ["tier"]}}, {}, True),
    ("list tags", {"scope": {"kind": "tag", "values": ["pii"]}}, {"tags": ["pii"]}, True),
    ("environment", {"scope": {"kind": "environment", "values": ["dev"]}}, {}, False),
    ("api key", {"scope": {"kind": "api_key", "values": ["abc123abc123"]}}, {}, True),
    ("no key", {"scope": {"kind": "api_key", "values": ["abc123abc123"]}}, {"api_key": None}, False),
    ("provider", {"when": {"providers": ["anthropic"]}}, {}, False),
    ("endpoint", {"when": {"endpoints": ["chat.completions"]}}, {}, True),
    ("model glob", {"when": {"models": ["gpt-4*"]}}, {}, True),
    ("model glob, case", {"when": {"models": ["GPT-4O"]}}, {}, True),
    ("model not in glob", {"when": {"models": ["claude-*"]}}, {}, False),
    ("allow list: outside", {"when": {"models_except": ["gpt-4o-mini"]}}, {}, True),
    ("allow list: inside", {"when": {"models_except": ["gpt-4o*"]}}, {}, False),
    ("no model vs allow list", {"when": {"models_except": ["gpt-4o*"]}}, {"model": None}, True),
    ("bytes over", {"when": {"request_bytes_over": 1000}}, {}, True),
    ("bytes under", {"when": {"request_bytes_over": 5000}}, {}, False),
    ("max_tokens over", {"when": {"max_tokens_over": 100}}, {}, True),
    ("max_tokens unset counts as over", {"when": {"max_tokens_over": 100}}, {"max_tokens": None}, True),
    ("cost over", {"when": {"estimated_cost_over_usd": "0.01"}}, {}, True),
    ("cost under", {"when": {"estimated_cost_over_usd": "0.05"}}, {}, False),
    ("unpriced is not $0", {"when": {"estimated_cost_over_usd": "5"}}, {"estimated_cost": lambda: None}, True),
    ("tool offered", {"when": {"tools": ["search_*"]}}, {}, True),
    ("tool called", {"when": {"tools": ["shell"]}}, {}, True),
    ("tool absent", {"when": {"tools": ["delete_*"]}}, {}, False),
    ("content pattern", {"when": {"patterns": ["dep[l]oy"]}}, {}, True),
    ("content absent", {"when": {"detectors": ["email"]}}, {}, False),
    ("model name is not prompt", {"when": {"patterns": ["gpt-4o"]}}, {}, False),
    ("office hours", {"when": {"time_window": {"days": ["mon"], "start": "09:00", "end": "17:00"}}}, {}, True),
    ("weekend only", {"when": {"time_window": {"days": ["sat", "sun"]}}}, {}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "over", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_conditions(policy: dict[str, Any], over: dict[str, Any], expected: bool) -> None:
    assert matches(policy, **over) is expected


def test_content_is_read_only_when_a_policy_asks() -> None:
    read: list[int] = []

    def body() -> Any:
        read.append(1)
        return BODY

    compiled = compile_policies(
        [{"id": "1", "name": "m", "action": "deny", "when": {"models": ["x"]}}]
    )
    evaluate(compiled, facts(body=body))
    assert read == []


def test_order_is_priority_then_name_and_disabled_or_invalid_are_left_out() -> None:
    documents = [
        {"id": "b", "name": "b", "action": "alert", "priority": 5},
        {"id": "a", "name": "a", "action": "alert", "priority": 5},
        {"id": "z", "name": "z", "action": "deny", "priority": 1},
        {"id": "off", "name": "off", "action": "deny", "enabled": False},
        {"id": "bad", "name": "bad", "action": "route"},  # route_to missing
    ]
    compiled = compile_policies(documents)
    assert [h.name for h in evaluate(compiled, facts())] == ["z", "a", "b"]
    assert len(compiled.errors) == 1
    assert compiled.errors[0].startswith("bad:")


def test_reasons_say_what_matched() -> None:
    compiled = compile_policies(
        [
            {
                "id": "1",
                "name": "m",
                "action": "deny",
                "when": {"models": ["gpt-4*"], "tools": ["shell"]},
            }
        ]
    )
    [hit] = evaluate(compiled, facts())
    assert "model 'gpt-4o'" in hit.reason
    assert "tools ['shell']" in hit.reason


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), True),  # Monday night
        (datetime(2026, 12, 1, 5, 59, tzinfo=UTC), True),  # Tuesday, before 06:00: Monday's
        (datetime(2026, 12, 1, 6, 0, tzinfo=UTC), False),
        (datetime(2026, 12, 1, 23, 0, tzinfo=UTC), False),  # Tuesday night: not a window day
    ],
)
def test_a_window_across_midnight_belongs_to_the_day_it_opened(
    when: datetime, expected: bool
) -> None:
    window = TimeWindow(days=["mon"], start="22:00", end="06:00")
    assert in_window(window, when) is expected


def test_time_zones() -> None:
    window = TimeWindow(days=["mon"], start="09:00", end="17:00", timezone="America/New_York")
    assert not in_window(window, MONDAY_10)  # 05:00 in New York
    assert in_window(window, datetime(2026, 11, 30, 15, 0, tzinfo=UTC))


def test_the_schema_is_versioned() -> None:
    assert Policy.model_validate({"name": "p", "action": "deny"}).schema_version == 1
    with pytest.raises(ValueError, match="schema_version"):
        Policy.model_validate({"name": "p", "action": "deny", "schema_version": 2})


def test_tool_names_are_read_from_every_wire_format() -> None:
    body = {
        "tools": [
            {"type": "function", "function": {"name": "openai_offered"}},
            {"name": "anthropic_offered", "input_schema": {}},
            {"functionDeclarations": [{"name": "gemini_offered"}]},
        ],
        "messages": [
            {"role": "assistant", "tool_calls": [{"function": {"name": "openai_called"}}]},
            {"role": "assistant", "content": [{"type": "tool_use", "name": "anthropic_called"}]},
        ],
        "input": [{"type": "function_call", "name": "responses_called"}],
        "contents": [{"parts": [{"functionCall": {"name": "gemini_called"}}]}],
    }
    assert facts(body=lambda: body).tools() == sorted(
        ["openai_offered", "anthropic_offered", "gemini_offered", "openai_called",
         "anthropic_called", "responses_called", "gemini_called"]
    )  # fmt: skip
