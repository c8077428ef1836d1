"""Emergency controls (kill-switch, pause, resume), their status, and proxy heartbeats."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from control_plane.schemas.common import Request

Scope = Literal["org", "team", "agent", "agents", "key"]
Action = Literal["kill", "pause", "resume"]


class AgentSelector(Request):
    """Exactly one criterion; resolved to the matching registered agents at action time."""

    tag: str | None = Field(
        None, min_length=1, max_length=101, description="A tag key, or key=value."
    )
    environment: str | None = Field(None, min_length=1, max_length=50)
    team: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [v for v in (self.tag, self.environment, self.team) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of tag, environment, team")
        return self


class _Targeted(Request):
    scope: Scope
    target: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description=(
            "Team or agent name, or an API key (its id, or its prefix aoh_<public id>); for org "
            "scope, optional (the caller's org)."
        ),
    )
    selector: AgentSelector | None = Field(
        None, description='Only with scope "agents": which agents the action applies to.'
    )

    @model_validator(mode="after")
    def _target_matches_scope(self) -> Self:
        if self.scope == "agents":
            if self.selector is None or self.target is not None:
                raise ValueError('scope "agents" takes a selector and no target')
        elif self.selector is not None:
            raise ValueError('only scope "agents" takes a selector')
        elif self.scope in ("team", "agent", "key") and self.target is None:
            raise ValueError(f'scope "{self.scope}" needs a target')
        return self


class EmergencyRequest(_Targeted):
    """Kill or pause."""

    reason: str = Field(
        min_length=1, max_length=1000, description="Shown to the agent in every refusal."
    )
    create: bool = Field(
        False,
        description=(
            "Scope agent: register the name first when no agent has it yet (pre-emptively "
            "blocking it); otherwise an unknown agent is a 404 listing close names."
        ),
    )


class ResumeRequest(_Targeted):
    reason: str | None = Field(None, max_length=1000, description="Kept in the audit log.")


class ControlRuleOut(BaseModel):
    id: uuid.UUID
    scope: Literal["org", "team", "agent", "key"]
    target: str
    action: Literal["kill", "pause"]
    reason: str
    reference: str
    created_by: str | None
    created_at: datetime
    lifted_at: datetime | None


class EmergencyResult(BaseModel):
    action: Action
    version: int = Field(description="The org's control-state version after the change.")
    rules: list[ControlRuleOut] = Field(description="Rules created (kill, pause) or lifted.")
    agents: list[str] = Field(description="Agents whose registry status changed.")


class ProxyOut(BaseModel):
    proxy_id: str
    version: int = Field(description="State version the proxy last reported holding (-1: none).")
    applied: bool = Field(description="Whether it holds the org's current version.")
    seen_at: datetime
    state_age_seconds: float | None = Field(
        None,
        description="Seconds since the proxy last confirmed its control state against Redis, "
        "as of now (None: not reported, or never confirmed).",
    )
    stale: bool = Field(
        False,
        description="The state is older than the proxy's staleness bound (state_max_age_seconds): "
        "it may not have seen a kill or resume issued since.",
    )


class EmergencyStatus(BaseModel):
    org: str
    version: int
    rules: list[ControlRuleOut]
    proxies: list[ProxyOut]


class HeartbeatIn(Request):
    proxy_id: str = Field(min_length=1, max_length=200)
    versions: dict[str, int] = Field(
        default_factory=dict, max_length=10_000, description="Org slug -> state version held."
    )
    state_age_seconds: float | None = Field(
        None, ge=0, description="Seconds since the proxy last confirmed its control state."
    )
    state_max_age_seconds: float | None = Field(
        None, gt=0, description="The proxy's staleness bound (its state_max_age_seconds)."
    )


class HeartbeatOut(BaseModel):
    org: str
    version: int = Field(description="The org's current control-state version.")
    applied: bool
