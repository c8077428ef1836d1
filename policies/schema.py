"""The policy document (schema version 1): who it covers, when it matches, what it does.

A policy matches a call when its scope covers the call and every condition it states holds
(conditions left out do not restrict). The same document is what an admin keeps in git as
YAML, what the API stores and what every proxy receives in its control-state snapshot.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from policies.detectors import DETECTORS, DetectorName, compile_pattern

SCHEMA_VERSION: Literal[1] = 1

Mode = Literal["enforce", "shadow"]
ActionName = Literal[
    "allow", "deny", "require_approval", "redact", "alert", "route", "rate_limit", "pause_run"
]
ScopeKind = Literal["org", "team", "agent", "tag", "environment", "api_key"]
ApproverRole = Literal["owner", "admin", "team_lead"]
DEFAULT_APPROVERS: tuple[ApproverRole, ...] = ("owner", "admin")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_set[M: BaseModel](model: M, what: str, *names: str) -> M:
    """``model`` when at least one of the fields ``names`` is set, else the error saying so."""
    if all(getattr(model, name) is None for name in names):
        raise ValueError(f"{what} sets {' or '.join(names)}")
    return model


class Scope(_Strict):
    """``org`` covers every call; the others cover calls whose agent has one of ``values``
    (team names, agent names, tags as ``key=value`` or a bare tag, environments, API key ids)."""

    kind: ScopeKind = "org"
    values: list[str] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _values_for_kind(self) -> Scope:
        if self.kind != "org" and not self.values:
            raise ValueError(f"a scope of kind {self.kind} names at least one value")
        return self


class TimeWindow(_Strict):
    """Matches calls made on ``days`` between ``start`` and ``end`` (local time in
    ``timezone``; an ``end`` before ``start`` spans midnight)."""

    days: list[Day] = Field(default_factory=lambda: list(DAYS))
    start: str = "00:00"
    end: str = "24:00"
    timezone: str = "UTC"

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if value != "24:00" and not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Loop(_Strict):
    """A run that looks like a runaway loop: the same prompt (hash), or the same latest tool
    call, sent ``repeats`` times within ``window_seconds``; or its prompt grew on each of
    ``growth_steps`` calls in a row and is now over ``context_tokens_over`` tokens."""

    repeats: int | None = Field(default=None, ge=2, le=100_000)
    window_seconds: int = Field(default=300, ge=1, le=86_400)
    context_tokens_over: int | None = Field(default=None, ge=1)
    growth_steps: int = Field(default=3, ge=1, le=10_000)

    @model_validator(mode="after")
    def _something(self) -> Loop:
        return _one_set(self, "a loop condition", "repeats", "context_tokens_over")


class Conditions(_Strict):
    providers: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list, description="globs: the model is one of")
    models_except: list[str] = Field(
        default_factory=list, description="globs: the model is none of (an allow list)"
    )
    request_bytes_over: int | None = Field(default=None, ge=0)
    estimated_cost_over_usd: Decimal | None = Field(default=None, ge=0)
    max_tokens_over: int | None = Field(
        default=None, ge=0, description="max_tokens above this, or not set at all"
    )
    tools: list[str] = Field(default_factory=list, description="globs: a tool offered or called")
    detectors: list[DetectorName] = Field(default_factory=list)
    patterns: list[str] = Field(
        default_factory=list, max_length=50, description="RE2 regular expressions"
    )
    time_window: TimeWindow | None = None
    run_calls_over: int | None = Field(
        default=None, ge=0, description="the run has made more calls than this (this one included)"
    )
    run_tokens_over: int | None = Field(
        default=None, ge=0, description="the run's prompt tokens, this call's included, are more"
    )
    loop: Loop | None = None

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, values: list[str]) -> list[str]:
        for value in values:
            compile_pattern(value)  # raises ValueError naming the pattern
        return values

    @property
    def inspects_content(self) -> bool:
        return bool(self.detectors or self.patterns)

    @property
    def reads_run(self) -> bool:
        """Whether the condition needs the run's shared counters (the proxy's gate counts)."""
        return (
            self.run_calls_over is not None
            or self.run_tokens_over is not None
            or self.loop is not None
        )


class Approval(_Strict):
    timeout_seconds: int = Field(default=300, ge=1, le=3600)
    roles: list[ApproverRole] = Field(default_factory=lambda: list(DEFAULT_APPROVERS))
    members: list[str] = Field(default_factory=list, description="e-mails of named approvers")


class RateLimit(_Strict):
    """Requests and/or tokens per minute, counted per ``per`` (each team, agent or key gets
    its own allowance; ``org``: one allowance for every call the policy covers)."""

    requests_per_minute: int | None = Field(default=None, ge=1, le=10_000_000)
    tokens_per_minute: int | None = Field(default=None, ge=1, le=1_000_000_000)
    per: Literal["org", "team", "agent", "api_key"] = "agent"

    @model_validator(mode="after")
    def _something(self) -> RateLimit:
        return _one_set(self, "a rate limit", "requests_per_minute", "tokens_per_minute")


class Policy(_Strict):
    """One policy, schema version 1."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=2000)
    enabled: bool = True
    mode: Mode = "enforce"
    priority: int = Field(default=100, ge=0, le=10_000, description="lower is evaluated first")
    scope: Scope = Field(default_factory=Scope)
    when: Conditions = Field(default_factory=Conditions)
    action: ActionName
    message: str | None = Field(default=None, max_length=1000)
    route_to: str | None = Field(default=None, min_length=1, max_length=200)
    approval: Approval | None = None
    limit: RateLimit | None = None
    pause_seconds: int | None = Field(
        default=None, ge=1, le=7 * 86_400, description="pause_run: how long (default 3600)"
    )

    @model_validator(mode="after")
    def _action_needs(self) -> Policy:
        if (self.action == "rate_limit") != (self.limit is not None):
            raise ValueError("a rate_limit policy sets limit, and only a rate_limit policy does")
        if self.action == "route" and self.route_to is None:
            raise ValueError("a route policy names the model to route to (route_to)")
        if self.action != "route" and self.route_to is not None:
            raise ValueError("route_to is only for action: route")
        if self.action == "redact" and not self.when.inspects_content:
            raise ValueError("a redact policy names what to mask (when.detectors or patterns)")
        if self.action != "require_approval" and self.approval is not None:
            raise ValueError("approval is only for action: require_approval")
        if self.action != "pause_run" and self.pause_seconds is not None:
            raise ValueError("pause_seconds is only for action: pause_run")
        return self


__all__ = [
    "DETECTORS",
    "SCHEMA_VERSION",
    "Approval",
    "Conditions",
    "Loop",
    "Policy",
    "RateLimit",
    "Scope",
]
