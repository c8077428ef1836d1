"""Tiny builders of control snapshots and a wait helper, shared by the state tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from agentops.wire.control import BudgetRule, ControlRule, ControlSnapshot

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def rule(
    scope: str, target: str, action: str = "kill", reason: str = "runaway loop"
) -> ControlRule:
    return ControlRule.model_validate(
        {
            "scope": scope,
            "target": target,
            "action": action,
            "reason": reason,
            "reference": f"ref-{action}-{scope}-{target}",
            "since": T0,
        }
    )


def budget(budget_id: str = "b1", limit: str = "10", **fields: Any) -> BudgetRule:
    values: dict[str, Any] = {
        "budget_id": budget_id,
        "name": f"budget {budget_id}",
        "scope": "org",
        "limit_usd": Decimal(limit),
        "period_key": "2025-06",
    }
    values.update(fields)
    return BudgetRule.model_validate(values)


def snap(
    org: str = "acme",
    version: int = 1,
    *,
    rules: list[ControlRule] | None = None,
    agents: dict[str, dict[str, Any]] | None = None,
    budgets: list[BudgetRule] | None = None,
) -> ControlSnapshot:
    return ControlSnapshot(
        org=org,
        version=version,
        generated_at=T0,
        rules=rules or [],
        agents=agents or {},
        budgets=budgets or [],
    )


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait for a condition that another task or process brings about (polling, because the
    condition lives in code that signals nothing). The deadline is a safety net against a hung
    test, not an assertion about speed."""
    async with asyncio.timeout(10):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)

    def advance(self, seconds: float) -> None:
        self.now += seconds
