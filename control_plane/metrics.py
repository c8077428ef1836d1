"""Prometheus metrics of the control plane API (collectors are created once, at import)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
RATE_LIMIT_DEGRADED = Counter(
    "agentops_api_rate_limit_degraded_total",
    "API requests rate-limited in process because Redis was unreachable (limits per replica).",
)
