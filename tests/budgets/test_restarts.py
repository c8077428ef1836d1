"""Hard budgets hold across restarts of `agentops up` (embedded: in-memory spend counters) and
count the spend already stored when they are created mid-period.

Real `agentops up` subprocesses on one home, the official openai SDK through the embedded
proxy to the fake provider. Each test prints its figures: answered, refused, spend vs limit.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.fakeprovider.server import FakeProvider
from tests.harness.up import Up, start_up

AGENT = "spender"
MODEL = "gpt-4o-mini"


def client(up: Up, run: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-up-test-key",
        base_url=up.reverse_openai,
        max_retries=0,
        default_headers={"X-AgentOps-Agent": AGENT, "X-AgentOps-Run-Id": run},
    )


def calls(up: Up, run: str, count: int) -> tuple[int, int]:
    """(answered, refused by a budget) of ``count`` calls."""
    answered = refused = 0
    with client(up, run) as sdk:
        for _ in range(count):
            try:
                sdk.chat.completions.create(
                    model=MODEL, max_tokens=12, messages=[{"role": "user", "content": "hi"}]
                )
                answered += 1
            except openai.RateLimitError as error:
                refused += "budget" in error.message.lower()
    return answered, refused


def stored_calls(up: Up, token: str) -> int:
    _, page = up.get(f"/api/v1/runs?agent={AGENT}&limit=100", token)
    return sum(int(run["calls"]) for run in page["items"])


def wait_stored(up: Up, token: str, expected: int) -> None:
    deadline = time.monotonic() + 30
    while stored_calls(up, token) < expected:
        assert time.monotonic() < deadline, f"{expected} calls never reached the store"
        time.sleep(0.1)


def budget(up: Up, token: str) -> dict[str, Any]:
    _, page = up.get("/api/v1/budgets", token)
    [found] = page["items"]
    return dict(found)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_a_hard_budget_holds_across_restarts_of_up(
    home: Path, fake_provider_thread: FakeProvider
) -> None:
    up = start_up(home, fake_provider_thread.url)
    try:
        token = up.login()
        assert calls(up, "calibrate", 1) == (1, 0)
        wait_stored(up, token, 1)
        _, page = up.get(f"/api/v1/runs?agent={AGENT}", token)
        one_call = Decimal(str(page["items"][0]["cost_usd"]))
        assert one_call > 0
        limit = one_call * 6
        body = {"name": "cap", "scope": "org", "period": "daily", "limit_usd": str(limit),
                "enforcement": "hard"}  # fmt: skip
        up.post("/api/v1/budgets", body, token)
        answered, refused = calls(up, "first", 12)
        total = 1 + answered
        wait_stored(up, token, total)
        print(f"\nstart 1: answered {answered}, refused {refused}")
        assert refused > 0
    finally:
        up.stop()
    for restart in (1, 2):
        up = start_up(home, fake_provider_thread.url)
        try:
            token = up.login()
            answered, refused = calls(up, f"after-restart-{restart}", 5)
            total += answered
            wait_stored(up, token, total)
            spend = Decimal(str(budget(up, token)["current_spend_usd"]))
            print(
                f"restart {restart}: answered {answered}, refused {refused}, spend ${spend} "
                f"of ${limit} ({spend / limit:.0%})"
            )
            assert spend <= limit  # before: 141% after one restart, 940% after more
            assert refused >= 4
        finally:
            up.stop()


def test_a_budget_created_mid_period_counts_the_spend_already_stored(
    home: Path, fake_provider_thread: FakeProvider
) -> None:
    up = start_up(home, fake_provider_thread.url)
    try:
        token = up.login()
        assert calls(up, "before-the-budget", 4) == (4, 0)
        wait_stored(up, token, 4)
        spent = Decimal(
            str(up.get(f"/api/v1/runs?agent={AGENT}", token)[1]["items"][0]["cost_usd"])
        )
        limit = spent * Decimal("1.1")  # already nearly exhausted: at most one more call fits
        body = {"name": "late", "scope": "agent", "target": AGENT, "period": "daily",
                "limit_usd": str(limit), "enforcement": "hard"}  # fmt: skip
        up.post("/api/v1/budgets", body, token)
        answered, refused = calls(up, "after-the-budget", 5)
        print(f"\nbudget created at {spent / limit:.0%}: answered {answered}, refused {refused}")
        assert answered <= 1
        assert refused >= 4
    finally:
        up.stop()
