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

from policies.detectors import Detector, Scanner, detectors_for, scanner_for
from policies.facts import Facts
from policies.plan import Plan
from policies.runs import DEFAULT_PAUSE_SECONDS, run_reasons
from policies.schema import DAYS, ActionName, Mode, Policy, RateLimit, TimeWindow
from policies.screen import Screen, Single, screen, single


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
    limit: RateLimit | None = None
    pause_seconds: int | None = None  # pause_run: how long the run stays paused


@dataclass(frozen=True)
class Compiled:
    policy_id: str
    policy: Policy
    models: re.Pattern[str] | None
    models_except: re.Pattern[str] | None
    tools: re.Pattern[str] | None
    detectors: tuple[Detector, ...]
    window: Window | None
    screen: Screen | None = None  # the per-call conditions as one quick test
    single: Single | None = None  # the only per-call condition, when there is one


StaticKey = tuple[str, str, str | None, str, str | None, str | None, str | None, frozenset[str]]
Candidates = list[tuple[Compiled, list[str]]]
_MAX_CACHED = 4096


@dataclass(frozen=True)
class PolicySet:
    policies: tuple[Compiled, ...] = ()
    errors: tuple[str, ...] = field(default=())  # documents that failed validation
    scanner: Scanner | None = None  # every content detector of the set, in one RE2 set
    reads_runs: bool = False  # a policy has a run condition: the gate reads the run's counters
    # Memo of the conditions that depend only on who calls which model (scope, provider,
    # endpoint, model globs): the same agent calling the same model skips them after the
    # first call. A cache of a pure function, bounded, and dropped with the snapshot version.
    # With each candidate list, the plan that screens it a group at a time (policies.plan).
    _static: dict[StaticKey, tuple[Candidates, Plan]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.policies)

    def candidates(self, f: Facts) -> Candidates:
        return self.planned(f)[0]

    def planned(self, f: Facts) -> tuple[Candidates, Plan]:
        key = (f.provider, f.endpoint, f.model, f.agent, f.team, f.environment, f.api_key,
               frozenset(f.tag_names()))  # fmt: skip
        found = self._static.get(key)
        if found is None:
            listed = []
            for compiled in self.policies:
                reasons = _static_match(compiled, f)
                if reasons is not None:
                    listed.append((compiled, reasons))
            plan = Plan.of([(c.single, c.screen) for c, _ in listed], self.scanner is not None)
            if len(self._static) >= _MAX_CACHED:
                self._static.clear()
            found = self._static[key] = (listed, plan)
        return found


EMPTY = PolicySet()


def _globs(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p.lower())})" for p in patterns))


def compile_one(policy_id: str, policy: Policy, windows: dict[str, Window]) -> Compiled:
    """``windows``: the windows compiled so far, shared by policies with the same one."""
    when = policy.when
    window = None
    if when.time_window is not None:
        key = when.time_window.model_dump_json()
        window = windows.get(key) or windows.setdefault(key, Window.of(when.time_window))
    tools, detectors = _globs(when.tools), detectors_for(when.detectors, when.patterns)
    return Compiled(
        policy_id,
        policy,
        _globs(when.models),
        _globs(when.models_except),
        tools,
        detectors,
        window,
        screen(when, tools, detectors, window),
        single(when, tools, detectors, window),
    )


def compile_policies(documents: list[dict[str, Any]]) -> PolicySet:
    """Documents as the snapshot carries them: the policy plus its ``id``."""
    compiled, errors = [], []
    windows: dict[str, Window] = {}
    for document in documents:
        spec = {k: v for k, v in document.items() if k not in ("id", "revision")}
        policy_id = str(document.get("id", spec.get("name", "?")))
        try:
            policy = Policy.model_validate(spec)
        except (ValidationError, ValueError) as exc:
            errors.append(f"{policy_id}: {exc}")
            continue
        if policy.enabled:
            compiled.append(compile_one(policy_id, policy, windows))
    compiled.sort(key=lambda c: (c.policy.priority, c.policy.name))
    scanner = scanner_for([d for c in compiled for d in c.detectors])
    reads_runs = any(c.policy.when.reads_run for c in compiled)
    return PolicySet(tuple(compiled), tuple(errors), scanner, reads_runs)


def evaluate(policies: PolicySet, facts: Facts) -> list[Hit]:
    hits = []
    scanner = policies.scanner
    candidates, plan = policies.planned(facts)
    for i in plan.survivors(facts, scanner):
        compiled, static = candidates[i]
        reasons = _dynamic_match(compiled, facts, static, scanner)
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
                    p.limit,
                    (p.pause_seconds or DEFAULT_PAUSE_SECONDS) if p.action == "pause_run" else None,
                )
            )
    return hits


def run_windows(policies: PolicySet, facts: Facts) -> tuple[int, ...] | None:
    """None when no policy that could match this call reads its run's counters; else the
    repeat windows (seconds) its loop conditions count in (possibly none)."""
    reading = [c.policy.when for c, _ in policies.candidates(facts) if c.policy.when.reads_run]
    if not reading:
        return None
    windows = {w.loop.window_seconds for w in reading if w.loop and w.loop.repeats is not None}
    return tuple(sorted(windows))


def _static_match(c: Compiled, f: Facts) -> list[str] | None:
    """Reasons from the conditions on who calls which model, or None when one does not hold."""
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
    return reasons


def _dynamic_match(
    c: Compiled, f: Facts, static: list[str], scanner: Scanner | None
) -> list[str] | None:
    """The reasons the policy matches this call, or None when a condition does not hold.
    Cheap conditions first; reasons are only written for a match."""
    w = c.policy.when
    if w.request_bytes_over is not None and f.request_bytes <= w.request_bytes_over:
        return None
    over = w.max_tokens_over
    if over is not None and f.max_tokens is not None and f.max_tokens <= over:
        return None
    if c.window is not None and not f.in_window(c.window):
        return None
    tools: list[str] = []
    if c.tools is not None:
        pattern = c.tools
        tools = [t for t in f.tools() if pattern.match(t.lower())]  # names as called
        if not tools:
            return None
    cost = None
    if w.estimated_cost_over_usd is not None:
        cost = f.estimated_cost()
        # An unpriced call's cost is unknown, not zero: it counts as over the threshold.
        if cost is not None and cost <= w.estimated_cost_over_usd:
            return None
    found: list[str] = []
    if c.detectors:
        found = [d.name for d in c.detectors if f.contains(d, scanner)]
        if not found:
            return None
    on_run = run_reasons(w, f.run)
    if on_run is None:
        return None
    reasons = list(static)
    if w.request_bytes_over is not None:
        reasons.append(f"request of {f.request_bytes} bytes > {w.request_bytes_over}")
    if over is not None:
        reasons.append(f"max_tokens {f.max_tokens or 'unset'} > {over}")
    if c.window is not None:
        reasons.append("inside its time window")
    if tools:
        reasons.append(f"tools {tools}")
    if w.estimated_cost_over_usd is not None:
        shown = f"${cost}" if cost is not None else "unknown"
        reasons.append(f"estimated cost {shown} > ${w.estimated_cost_over_usd}")
    if found:
        reasons.append(f"prompt contains {', '.join(found)}")
    return reasons + on_run


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


@dataclass(frozen=True)
class Window:
    """A ``TimeWindow`` ready to test: zone loaded, days as weekday numbers, times parsed."""

    zone: ZoneInfo
    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def of(cls, window: TimeWindow) -> Window:
        days = frozenset(DAYS.index(d) for d in window.days)
        return cls(ZoneInfo(window.timezone), days, _clock(window.start), _clock(window.end))

    def contains(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        weekday, at = local.weekday(), local.time()
        if self.start <= self.end:
            return weekday in self.days and self.start <= at < self.end
        # Spans midnight: the part after midnight belongs to the day the window opened.
        if at >= self.start:
            return weekday in self.days
        return (weekday - 1) % 7 in self.days and at < self.end


def in_window(window: TimeWindow, now: datetime) -> bool:
    return Window.of(window).contains(now)


def _clock(value: str) -> time:
    if value == "24:00":
        return time.max
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
