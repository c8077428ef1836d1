"""The control-state snapshot the control plane publishes and every proxy holds in memory."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ControlAction = Literal["kill", "pause"]
ControlScope = Literal["org", "team", "agent", "key"]


class ControlRule(BaseModel):
    """A kill or pause in force at one scope."""

    model_config = ConfigDict(extra="forbid")

    scope: ControlScope
    target: str  # org slug, team name, agent name or API key public id
    action: ControlAction
    reason: str
    reference: str  # id shown to the agent in the refusal
    since: datetime


class TopUp(BaseModel):
    """A temporary increase of a hard budget an approver granted (``agentops budgets topup``)."""

    model_config = ConfigDict(extra="forbid")

    amount_usd: Decimal
    until: datetime
    reference: str  # the approval request's id


class BudgetRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget_id: str
    name: str
    scope: Literal["org", "team", "agent", "run"]
    target: str | None = None
    model: str | None = None
    provider: str | None = None
    limit_usd: Decimal
    max_calls: int | None = None
    hard: bool = True
    period_key: str  # identifies the current period window (counters are keyed by it)
    period_end: datetime | None = None
    # Left out when empty, so a proxy older than top-ups still accepts the snapshot.
    topups: list[TopUp] = Field(default_factory=list, exclude_if=lambda v: not v)

    def limit_at(self, now: datetime) -> Decimal:
        """The limit in force at ``now``: ``limit_usd`` plus the top-ups not yet expired."""
        return self.limit_usd + sum(
            (t.amount_usd for t in self.topups if t.until > now), Decimal(0)
        )


class ControlSnapshot(BaseModel):
    """Everything a proxy needs to gate an org's calls; versions only ever move forward."""

    model_config = ConfigDict(extra="forbid")

    org: str
    version: int = Field(ge=0)
    generated_at: datetime
    rules: list[ControlRule] = Field(default_factory=list)
    agents: dict[str, dict[str, Any]] = Field(default_factory=dict)  # name -> {team, tags, env}
    budgets: list[BudgetRule] = Field(default_factory=list)
    policies: list[dict[str, Any]] = Field(default_factory=list)
    # An agent name not in ``agents``, presented with a valid key of this org: allowed (the
    # control plane registers it when its record arrives) or refused before forwarding.
    auto_register_agents: bool = True
