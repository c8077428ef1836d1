"""Prometheus metrics of the control plane API (collectors are created once, at import)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from agentops.build_metrics import BUILD_INFO as BUILD_INFO

REQUESTS = Counter(
    "agentops_api_requests_total",
    "API requests served, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "agentops_api_request_duration_seconds",
    "API request latency, by method and route template.",
    ["method", "route"],
)
RATE_LIMITED = Counter(
    "agentops_api_rate_limited_total",
    "API requests refused by a rate limit, by limit kind (org, api_key).",
    ["kind"],
)
LOGIN_THROTTLED = Counter(
    "agentops_login_throttled_total",
    "Logins refused because an account or client address reached its failure limit, by kind.",
    ["kind"],
)
LOGIN_THROTTLE_FALLBACKS = Counter(
    "agentops_login_throttle_fallbacks_total",
    "Redis errors met by the failed-login counters, answered from this process's counters.",
)
PASSWORD_HASH_REJECTED = Counter(
    "agentops_password_hash_rejected_total",
    "Requests answered 503 because the password hashing queue was full.",
)
RATE_LIMIT_DEGRADED = Counter(
    "agentops_api_rate_limit_degraded_total",
    "API requests rate-limited in process because Redis was unreachable (limits per replica).",
)
