"""Metrics of the proxy's control state, budget counters and their circuit breakers."""

from __future__ import annotations

import math
from collections.abc import Callable

from prometheus_client import Counter, Gauge

STATE_AGE = Gauge(
    "agentops_proxy_control_state_age_seconds",
    "Seconds since the control state was last confirmed against the source (+Inf before the first sync).",
)
STATE_APPLIED = Counter(
    "agentops_proxy_control_state_applied_total", "Snapshots applied (newer versions only)."
)
STATE_REJECTED = Counter(
    "agentops_proxy_control_state_rejected_total",
    "Snapshots rejected as malformed; the last good one stays in force.",
)
STATE_SYNC_FAILURES = Counter(
    "agentops_proxy_control_state_sync_failures_total",
    "Failed subscriptions or resyncs of the control state (each is retried with backoff).",
)
STATE_STORE_EMPTY = Counter(
    "agentops_proxy_control_state_store_empty_total",
    "Resyncs that found none of the held orgs in the state store (Redis restarted empty); "
    "the held state was kept and not counted as confirmed.",
)
BREAKER_OPEN = Gauge(
    "agentops_proxy_control_breaker_open",
    "1 while a circuit breaker to Redis is open (calls skip Redis and use their fail mode).",
    ["target"],
)
BUDGET_COUNTER_FAILURES = Counter(
    "agentops_proxy_budget_counter_failures_total",
    "Budget counter operations that failed or were skipped by an open breaker.",
    ["operation"],
)

POLICY_INVALID = Counter(
    "agentops_proxy_policies_invalid_total",
    "Policies in a snapshot this proxy could not compile (skipped; see the error log).",
)


def track_state_age(age_seconds: Callable[[], float | None]) -> None:
    """Point the age gauge at the holder that serves this process (called once at startup)."""

    def read() -> float:
        age = age_seconds()
        return math.inf if age is None else age

    STATE_AGE.set_function(read)
