"""Policy models: the document is ``policies.Policy`` (schema version 1), the same one the
CLI applies from YAML and proxies receive; the API adds its id and revision."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from control_plane.schemas.common import PageQuery, Request
from control_plane.schemas.costs import MoneyOut
from policies import Approval, Conditions, Policy, RateLimit, Scope
from policies.schema import NAME_PATTERN, ActionName, Mode

__all__ = [
    "Policy",
    "PolicyOut",
    "PolicyPage",
    "PolicyPatch",
    "PolicyQuery",
    "SimulateRequest",
    "SimulationOut",
]


class PolicyOut(Policy):
    id: uuid.UUID
    revision: int = Field(description="Counts changes: 1 when created, +1 per update")
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime


class PolicyPage(Request):
    items: list[PolicyOut]
    next_cursor: str | None = None


class PolicyQuery(PageQuery):
    pass


class PolicyPatch(Request):
    """Fields to change; the rest of the document stays as it is. The result is validated as a
    whole (e.g. setting ``action: route`` needs ``route_to``)."""

    name: str | None = Field(None, pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=2000)
    enabled: bool | None = None
    mode: Mode | None = None
    priority: int | None = Field(None, ge=0, le=10_000)
    scope: Scope | None = None
    when: Conditions | None = None
    action: ActionName | None = None
    message: str | None = Field(None, max_length=1000)
    route_to: str | None = Field(None, min_length=1, max_length=200)
    approval: Approval | None = None
    limit: RateLimit | None = None
    pause_seconds: int | None = Field(None, ge=1, le=7 * 86_400)


class SimulateRequest(Request):
    """Draft policies to replay over the org's stored calls (nothing is saved or enforced)."""

    policies: list[Policy] = Field(min_length=1, max_length=200)
    since_days: int = Field(30, ge=1, le=400, description="Replay the calls of the last N days")


class SimulationRow(Request):
    agent: str | None = Field(description="None on the totals row")
    team: str | None = None
    calls: int
    cost_usd: MoneyOut = Field(description="What the calls cost (priced calls only)")
    counts: dict[str, int] = Field(description="Calls per outcome: denied, held, redacted, ...")
    dollars: dict[str, MoneyOut] = Field(description="Recorded cost of those calls, per outcome")
    unpriced: dict[str, int] = Field(description="Calls per outcome whose cost is unknown")
    rerouted_cost_at_new_model_usd: MoneyOut = Field(
        description="Worst-case cost of the rerouted calls' tokens at the model routed to"
    )
    would_have: dict[str, int] = Field(description="Shadow (or outranked) policy -> calls")


class SimulationOut(Request):
    since: datetime
    until: datetime
    calls_scanned: int
    calls_replayed_one_by_one: int = Field(
        description="Calls a per-call condition made the simulation read one by one"
    )
    minutes_replayed: int = Field(
        default=0,
        description="(agent, model, minute) sums judged for time windows instead of each call",
    )
    limitations: list[str]
    totals: SimulationRow
    rows: list[SimulationRow]
