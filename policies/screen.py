"""A policy's per-call conditions, compiled into one quick yes/no test (pure).

Most policies that survive the memoised who-calls-which-model step still do not match a given
call. ``screen`` builds, once per snapshot, a test that checks only the conditions a policy
states, cheapest first, and answers False at the first that fails, without writing reasons:
the evaluator writes those only for a policy the screen let through. Identical time windows
are judged once per call (``Facts.in_window``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from policies.detectors import Detector, Scanner
from policies.facts import Clock, Facts
from policies.schema import Conditions

Screen = Callable[[Facts, Scanner | None], bool]


@dataclass(frozen=True)
class Single:
    """A policy's only per-call condition, in a form ``policies.plan`` can test for a group."""

    kind: Literal["bytes", "max_tokens", "window", "tools", "content"]
    threshold: int = 0
    window: Clock | None = None
    tools: re.Pattern[str] | None = None
    detectors: tuple[Detector, ...] = ()


def screen(
    when: Conditions,
    tools: re.Pattern[str] | None,
    detectors: Sequence[Detector],
    window: Clock | None,
) -> Screen | None:
    """None: the policy states no per-call condition that can be screened (it goes on to the
    full match, which decides the rest: cost, run counters)."""
    checks: list[Screen] = []
    size = when.request_bytes_over
    if size is not None:
        checks.append(lambda f, _: f.request_bytes > size)
    over = when.max_tokens_over
    if over is not None:
        checks.append(lambda f, _: f.max_tokens is None or f.max_tokens > over)
    if window is not None:
        checks.append(lambda f, _: f.in_window(window))
    if tools is not None:
        match = tools.match
        checks.append(lambda f, _: any(match(t) for t in f.tools_lower()))
    if detectors:
        checks.append(_content(tuple(detectors)))
    return _all(checks)


def single(
    when: Conditions,
    tools: re.Pattern[str] | None,
    detectors: Sequence[Detector],
    window: Clock | None,
) -> Single | None:
    """The policy's per-call condition when it states exactly one; else None."""
    found = [
        Single("bytes", threshold=when.request_bytes_over)
        if when.request_bytes_over is not None
        else None,
        Single("max_tokens", threshold=when.max_tokens_over)
        if when.max_tokens_over is not None
        else None,
        Single("window", window=window) if window is not None else None,
        Single("tools", tools=tools) if tools is not None else None,
        Single("content", detectors=tuple(detectors)) if detectors else None,
    ]
    stated = [s for s in found if s is not None]
    return stated[0] if len(stated) == 1 else None


def _content(found: tuple[Detector, ...]) -> Screen:
    keys = frozenset(d.key for d in found)

    def check(f: Facts, scanner: Scanner | None) -> bool:
        if scanner is not None and f.scanned(scanner).isdisjoint(keys):
            return False  # the one scan of the call found none of them: no confirmation to run
        return any(f.contains(d, scanner) for d in found)

    return check


def _all(checks: list[Screen]) -> Screen | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    ordered = tuple(checks)

    def every(f: Facts, scanner: Scanner | None) -> bool:
        return all(check(f, scanner) for check in ordered)

    return every
