"""Every Prometheus metric of the proxy, defined once (collectors register at import)."""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge

from agentops.build_metrics import BUILD_INFO as BUILD_INFO
from proxy.call_metrics import CallMetrics, CounterSeries, HistogramSeries

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CALL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
MAX_MODEL_LABELS = 200


class BoundedLabels:
    """Label values from traffic, capped: the first ``limit`` distinct values are kept, any
    later one is reported as ``other``, so a client inventing model names cannot blow up the
    series count. (Labels are never agent, run or key: those are unbounded by nature.)"""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str | None) -> str:
        if not value:
            return "unknown"
        if value in self._seen:
            return value
        if len(self._seen) >= self._limit:
            return "other"
        self._seen.add(value)
        return value


MODEL_LABEL = BoundedLabels(MAX_MODEL_LABELS)

# Counted per call on the event loop, exposed at scrape time (``proxy.call_metrics``).
LLM_TOKENS = CounterSeries(
    "agentops_llm_tokens_total",
    "Tokens of LLM calls by billed class (input, cached_read, cache_write_5m, cache_write_1h, "
    "audio_input, output, reasoning, audio_output); model as served.",
    ["provider", "model", "token_class"],
)
LLM_COST = CounterSeries(
    "agentops_llm_cost_usd_total",
    "Cost of priced LLM calls in USD (unpriced calls: agentops_proxy_unpriced_calls_total).",
    ["provider", "model"],
)
LLM_CALL_DURATION = HistogramSeries(
    "agentops_llm_call_duration_seconds",
    "Duration of LLM calls as the agent saw them, by provider, model as served and status.",
    ["provider", "model", "status"],
    buckets=_CALL_BUCKETS,
)

CALLS = CounterSeries(
    "agentops_proxy_calls_total", "LLM calls seen by the proxy.", ["provider", "status"]
)
UNPRICED_CALLS = CounterSeries(
    "agentops_proxy_unpriced_calls_total",
    "Metered calls whose cost is unknown (unpriced model, no usage).",
    ["provider", "reason"],
)
OVERHEAD = HistogramSeries(
    "agentops_proxy_overhead_seconds",
    "Time the proxy itself added to a call (latency minus upstream and upload time).",
    [],
    buckets=_LATENCY_BUCKETS,
)
TTFT = HistogramSeries(
    "agentops_proxy_ttft_seconds",
    "Time to first token of streamed calls, as the agent saw it.",
    ["provider"],
    buckets=_TTFT_BUCKETS,
)
REGISTRY.register(
    CallMetrics(LLM_TOKENS, LLM_COST, LLM_CALL_DURATION, CALLS, UNPRICED_CALLS, OVERHEAD, TTFT)
)
OTEL_DROPPED = Counter(
    "agentops_proxy_otel_dropped_calls_total",
    "Calls not exported to OpenTelemetry: no exporter process running, or a backlog it has not "
    "read (a collector far slower than the traffic).",
)
OTEL_EXPORTER_RESTARTS = Counter(
    "agentops_proxy_otel_exporter_restarts_total",
    "Times the OpenTelemetry exporter process exited unasked and was restarted.",
)
SPOOLED = Counter(
    "agentops_proxy_spooled_records_total", "Records made durable in the local spool."
)
SPOOL_DEPTH = Gauge(
    "agentops_proxy_spool_depth_records", "Records in the spool not yet acknowledged."
)
SPOOL_BYTES = Gauge("agentops_proxy_spool_size_bytes", "Bytes of unacknowledged spool data.")
SPOOL_DROPPED = Counter(
    "agentops_proxy_spool_dropped_records_total",
    "Records dropped because the spool was full.",
    ["mode"],
)
SHIPPED = Counter(
    "agentops_proxy_shipped_records_total",
    "Records delivered to the control plane, by outcome.",
    ["outcome"],
)
DEAD_LETTERED = Counter(
    "agentops_proxy_records_dead_lettered_total",
    "Records the control plane rejected, kept in the dead-letter file (never dropped).",
    ["reason"],
)
SHIP_FAILURES = Counter(
    "agentops_proxy_ship_failures_total", "Batches whose delivery failed (retried with backoff)."
)
POLICY_MATCHES = Counter(
    "agentops_proxy_policy_matches_total",
    "Policy matches, by policy, action and whether they applied (false: shadow, would have).",
    ["policy", "action", "applied"],
)
