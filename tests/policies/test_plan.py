"""The group screen lets through exactly the policies their own screens let through, in
evaluation order, whatever the call: each kind of single condition, thresholds on both sides,
shared windows, tool globs, content found or not, and policies with several conditions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from policies import Facts, compile_policies
from policies.plan import Plan
from tests.policies.test_evaluate import facts

SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
WEEKEND = {"days": ["sat", "sun"], "timezone": "UTC"}
POLICIES: list[dict[str, Any]] = [
    {"when": {"request_bytes_over": 1_000}},
    {"when": {"request_bytes_over": 5_000}},
    {"when": {"request_bytes_over": 2_000}},  # equal to the call's size: not over
    {"when": {"max_tokens_over": 100}},
    {"when": {"max_tokens_over": 1_000}},
    {"when": {"time_window": WEEKEND}},
    {"when": {"time_window": WEEKEND}},  # the same window, judged once
    {"when": {"time_window": {"days": ["mon"], "timezone": "UTC"}}},
    {"when": {"tools": ["search_*"]}},
    {"when": {"tools": ["shell"]}},
    {"when": {"tools": ["delete_*"]}},
    {"when": {"detectors": ["api_key"]}},
    {"when": {"patterns": ["deploy"]}},
    {"when": {"patterns": ["nowhere-[0-9]+"]}},
    {"when": {"detectors": ["card_number"]}},  # confirmed (Luhn) after the scan
    {"when": {"request_bytes_over": 10, "tools": ["shell"]}},  # two conditions
    {"when": {"max_tokens_over": 10, "patterns": ["nowhere"]}},
    {"when": {"models": ["gpt-4o"]}},  # no per-call condition: always through
]
KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2


def body(text: str, *tools: str) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": text}],
        "tools": [{"type": "function", "function": {"name": t}} for t in tools],
    }


CALLS: list[dict[str, Any]] = [
    {},
    {"request_bytes": 50_000, "max_tokens": None, "now": SATURDAY},
    {"request_bytes": 0, "max_tokens": 1, "body": lambda: body("nothing", "delete_all")},
    {"body": lambda: body(f"key {KEY} card 4111 1111 1111 1111 nowhere-7")},
    {"body": lambda: body("card 4111 1111 1111 1112", "SHELL")},  # fails the Luhn check
    {"body": lambda: None},
]


def one_by_one(policies: Any, f: Facts) -> list[int]:
    candidates = policies.candidates(f)
    return [
        i
        for i, (compiled, _) in enumerate(candidates)
        if compiled.screen is None or compiled.screen(f, policies.scanner)
    ]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("scanned", [True, False])
def test_the_group_screen_agrees_with_each_policy_screen(
    call: dict[str, Any], scanned: bool
) -> None:
    documents = [{"id": f"p{i}", "name": f"p{i:02d}", "action": "alert", **p}
                 for i, p in enumerate(POLICIES)]  # fmt: skip
    policies = compile_policies(documents)
    assert policies.errors == ()
    f = facts(**call)
    candidates, plan = policies.planned(f)
    scanner = policies.scanner
    if not scanned:  # as when RE2 cannot build the set: content is screened policy by policy
        plan = Plan.of([(c.single, c.screen) for c, _ in candidates], scanned=False)
        scanner = None
    expected = one_by_one(policies, f) if scanned else [
        i for i, (c, _) in enumerate(candidates) if c.screen is None or c.screen(facts(**call), None)
    ]  # fmt: skip
    assert plan.survivors(f, scanner) == expected
    assert expected, "every call lets some policy through"
    assert len(expected) < len(candidates), "every call stops some policy"
