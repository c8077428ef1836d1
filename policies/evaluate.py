"""Compile the policies of a snapshot once, then evaluate them for each call (pure).

``compile_policies`` validates each stored document against the schema and prepares its
matchers (globs as regular expressions, detectors as RE2 programs). ``evaluate`` returns every
enabled policy that matches, in evaluation order (priority, then name), each with the reasons
it matched; what the matches add up to is the caller's decision.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from policies.detectors import Detector, detectors_for
from policies.facts import Facts
from policies.schema import DAYS, ActionName, Mode, Policy, TimeWindow


@dataclass(frozen=True)
class Hit:
    """One policy that matched a call."""

    policy_id: str
    name: str
    action: ActionName
    mode: Mode
    reason: str
    message: str | None = None
    route_to: str | None = None
    approval_timeout_seconds: int | None = None
    detectors: tuple[Detector, ...] = ()


@dataclass(frozen=True)
class Compiled:
    policy_id: str
    policy: Policy
    models: re.Pattern[str] | None
    models_except: re.Pattern[str] | None
    tools: re.Pattern[str] | None
    detectors: tuple[Detector, ...]


@dataclass(frozen=True)
class PolicySet:
    policies: tuple[Compiled, ...] = ()
    errors: tuple[str, ...] = field(default=())  # documents that failed validation

    def __len__(self) -> int:
        return len(self.policies)


EMPTY = PolicySet()


def _globs(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p.lower())})" for p in patterns))


def compile_one(policy_id: str, policy: Policy) -> Compiled:
    when = policy.when
    return Compiled(
        policy_id,
        policy,
        _globs(when.models),
        _globs(when.models_except),
        _globs(when.tools),
        detectors_for(when.detectors, when.patterns),
    )


def compile_policies(documents: list[dict[str, Any]]) -> PolicySet:
    """Documents as the snapshot carries them: the policy plus its ``id``."""
    compiled, errors = [], []
    for document in documents:
        spec = {k: v for k, v in document.items() if k not in ("id", "revision")}
        policy_id = str(document.get("id", spec.get("name", "?")))
        try:
            policy = Policy.model_validate(spec)
        except (ValidationError, ValueError) as exc:
            errors.append(f"{policy_id}: {exc}")
            continue
        if policy.enabled:
            compiled.append(compile_one(policy_id, policy))
    compiled.sort(key=lambda c: (c.policy.priority, c.policy.name))
    return PolicySet(tuple(compiled), tuple(errors))


def evaluate(policies: PolicySet, facts: Facts) -> list[Hit]:
    hits = []
    for compiled in policies.policies:
        reasons = _match(compiled, facts)
        if reasons is not None:
            p = compiled.policy
            hits.append(
                Hit(
                    compiled.policy_id,
                    p.name,
                    p.action,
                    p.mode,
                    "; ".join(reasons) or "every call in scope",
                    p.message,
                    p.route_to,
                    p.approval.timeout_seconds if p.approval else None,
                    compiled.detectors,
                )
            )
    return hits


def _match(c: Compiled, f: Facts) -> list[str] | None:
    """The reasons the policy matches, or None when a condition does not hold."""
    p, w = c.policy, c.policy.when
    if not _in_scope(p, f):
        return None
    reasons: list[str] = []
    if w.providers:
        if f.provider not in w.providers:
            return None
        reasons.append(f"provider {f.provider}")
    if w.endpoints:
        if f.endpoint not in w.endpoints:
            return None
        reasons.append(f"endpoint {f.endpoint}")
    model = (f.model or "").lower()
    if c.models is not None:
        if not c.models.match(model):
            return None
        reasons.append(f"model {f.model!r} is in {w.models}")
    if c.models_except is not None:
        if c.models_except.match(model):
            return None
        reasons.append(f"model {f.model!r} is not in {w.models_except}")
    if w.request_bytes_over is not None:
        if f.request_bytes <= w.request_bytes_over:
            return None
        reasons.append(f"request of {f.request_bytes} bytes > {w.request_bytes_over}")
    if w.max_tokens_over is not None:
        if f.max_tokens is not None and f.max_tokens <= w.max_tokens_over:
            return None
        reasons.append(f"max_tokens {f.max_tokens or 'unset'} > {w.max_tokens_over}")
    if w.time_window is not None:
        if f.now is None or not in_window(w.time_window, f.now):
            return None
        reasons.append("inside its time window")
    if c.tools is not None:
        tools = [t for t in f.tools() if c.tools.match(t.lower())]
        if not tools:
            return None
        reasons.append(f"tools {tools}")
    if w.estimated_cost_over_usd is not None:
        cost = f.estimated_cost()
        # An unpriced call's cost is unknown, not zero: it counts as over the threshold.
        if cost is not None and cost <= w.estimated_cost_over_usd:
            return None
        shown = f"${cost}" if cost is not None else "unknown"
        reasons.append(f"estimated cost {shown} > ${w.estimated_cost_over_usd}")
    if c.detectors:
        found = _content(c.detectors, f.texts())
        if not found:
            return None
        reasons.append(f"prompt contains {', '.join(found)}")
    return reasons


def _in_scope(p: Policy, f: Facts) -> bool:
    values = p.scope.values
    match p.scope.kind:
        case "org":
            return True
        case "team":
            return f.team in values
        case "agent":
            return f.agent in values
        case "environment":
            return f.environment in values
        case "api_key":
            return f.api_key in values
        case "tag":
            return bool(f.tag_names().intersection(values))


def _content(detectors: tuple[Detector, ...], texts: list[str]) -> list[str]:
    return [d.name for d in detectors if any(d.found_in(t) for t in texts)]


def in_window(window: TimeWindow, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(window.timezone))
    day = DAYS[local.weekday()]
    start = _clock(window.start)
    end = _clock(window.end)
    at = local.time()
    if start <= end:
        return day in window.days and start <= at < end
    # Spans midnight: the part after midnight belongs to the day the window opened.
    if at >= start:
        return day in window.days
    yesterday = DAYS[(local.weekday() - 1) % 7]
    return yesterday in window.days and at < end


def _clock(value: str) -> time:
    if value == "24:00":
        return time.max
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
