"""OpenTelemetry GenAI: a span per call with the ``gen_ai.*`` semantic-convention attributes
(plus our cost, agent and run), parented to the caller's ``traceparent``, and the
``gen_ai.client.token.usage`` / ``gen_ai.client.operation.duration`` metrics.

Off the hot path: ``record`` only copies the finished record and the caller's trace headers
onto a queue; one worker thread builds the span (with the call's own start and end times) and
the measurements, and a ``BatchSpanProcessor`` exports OTLP/HTTP batches from its own thread.
Nothing of it runs on the proxy's event loop. Providers are private to this object (no global
tracer provider); ``shutdown`` drains the queue and flushes what is pending.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from datetime import datetime

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from agentops import __version__
from agentops.money import money_text
from agentops.wire.record import CallRecord, CallStatus

# Our provider names -> gen_ai.provider.name / gen_ai.system well-known values.
_SYSTEMS = {"openai": "openai", "anthropic": "anthropic", "bedrock": "aws.bedrock",
            "gemini": "gcp.gemini", "vertex": "gcp.vertex_ai", "azure": "azure.ai.openai"}  # fmt: skip
_OPERATIONS = {"chat.completions": "chat", "messages": "chat", "responses": "chat",
               "converse": "chat", "converse_stream": "chat", "completions": "text_completion",
               "embeddings": "embeddings", "generate_content": "generate_content"}  # fmt: skip
# The semantic conventions' advised buckets.
_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                  16777216, 67108864]  # fmt: skip
_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                     40.96, 81.92]  # fmt: skip


class GenAiTelemetry:
    def __init__(self, endpoint: str, *, metrics_interval_seconds: float = 60.0) -> None:
        base = endpoint.rstrip("/")
        resource = Resource.create(
            {"service.name": "agentops-proxy", "service.version": __version__}
        )
        self._traces = TracerProvider(resource=resource)
        self._traces.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{base}/v1/traces")))
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(f"{base}/v1/metrics"),
            export_interval_millis=metrics_interval_seconds * 1000,
        )
        views = [
            View(instrument_name="gen_ai.client.token.usage",
                 aggregation=ExplicitBucketHistogramAggregation(_TOKEN_BUCKETS)),
            View(instrument_name="gen_ai.client.operation.duration",
                 aggregation=ExplicitBucketHistogramAggregation(_DURATION_BUCKETS)),
        ]  # fmt: skip
        self._metrics = MeterProvider(resource=resource, metric_readers=[reader], views=views)
        self._tracer = self._traces.get_tracer("agentops.proxy", __version__)
        meter = self._metrics.get_meter("agentops.proxy", __version__)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Tokens used per call."
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="Duration of a GenAI call."
        )
        self._propagator = TraceContextTextMapPropagator()
        self._queue: queue.SimpleQueue[tuple[CallRecord, dict[str, str]] | None] = (
            queue.SimpleQueue()
        )
        self._worker = threading.Thread(target=self._drain, name="otel-genai", daemon=True)
        self._worker.start()

    def record(self, record: CallRecord, headers: Mapping[str, str]) -> None:
        """Queue one finished call (``headers``: the request's, for its trace context)."""
        if record.metered:
            trace = {k.lower(): v for k, v in headers.items()
                     if k.lower() in ("traceparent", "tracestate")}  # fmt: skip
            self._queue.put((record, trace))

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            self._export(*item)

    def _export(self, record: CallRecord, trace: dict[str, str]) -> None:
        common = _common(record)
        parent = self._propagator.extract(trace)
        name = f"{common['gen_ai.operation.name']} {record.model_requested or ''}".strip()
        span = self._tracer.start_span(
            name, context=parent, kind=SpanKind.CLIENT, start_time=_ns(record.started_at),
            attributes={**common, **_details(record)},
        )  # fmt: skip
        if record.status not in (CallStatus.OK, CallStatus.IN_PROGRESS):
            span.set_status(Status(StatusCode.ERROR, record.error_type or record.status.value))
        span.end(_ns(record.ended_at or record.started_at))
        for kind, count in (("input", record.tokens.input), ("output", record.tokens.output)):
            if record.tokens.source != "none":
                self._tokens.record(count, {**common, "gen_ai.token.type": kind})
        if record.latency_ms is not None:
            self._duration.record(record.latency_ms / 1000, common)

    def shutdown(self) -> None:
        """Export every queued call, flush spans and metrics, then stop the threads."""
        self._queue.put(None)
        self._worker.join()
        self._traces.shutdown()
        self._metrics.shutdown()


def _common(record: CallRecord) -> dict[str, str]:
    system = _SYSTEMS.get(record.provider, record.provider)
    attributes = {
        "gen_ai.operation.name": _OPERATIONS.get(record.endpoint, record.endpoint),
        "gen_ai.system": system,
        "gen_ai.provider.name": system,
        "gen_ai.request.model": record.model_requested or "",
    }
    if record.model_served:
        attributes["gen_ai.response.model"] = record.model_served
    if record.status not in (CallStatus.OK, CallStatus.IN_PROGRESS):
        attributes["error.type"] = record.error_type or record.status.value
    return attributes


def _details(record: CallRecord) -> dict[str, str | int | bool | list[str]]:
    t = record.tokens
    out: dict[str, str | int | bool | list[str]] = {
        "gen_ai.usage.input_tokens": t.input,
        "gen_ai.usage.output_tokens": t.output,
        "agentops.call_id": str(record.call_id),
        "agentops.org": record.org,
        "agentops.agent": record.agent,
        "agentops.run_id": record.run_id,
        "agentops.status": record.status.value,
        "agentops.streamed": record.streamed,
        "agentops.tokens.source": t.source,
    }
    if t.cached_read:
        out["gen_ai.usage.cache_read.input_tokens"] = t.cached_read
    if t.cache_write_5m + t.cache_write_1h:
        out["gen_ai.usage.cache_creation.input_tokens"] = t.cache_write_5m + t.cache_write_1h
    if t.reasoning:
        out["gen_ai.usage.reasoning.output_tokens"] = t.reasoning
    if record.finish_reason:
        out["gen_ai.response.finish_reasons"] = [record.finish_reason]
    if record.host:
        out["server.address"] = record.host
    if record.http_status is not None:
        out["http.response.status_code"] = record.http_status
    cost = record.cost
    if cost.total_usd is not None:
        out["agentops.cost_usd"] = money_text(cost.total_usd)
    else:
        out["agentops.unpriced_reason"] = cost.unpriced_reason or "unknown"
    if cost.price_version:
        out["agentops.price_version"] = cost.price_version
    if record.ttft_ms is not None:
        out["agentops.ttft_ms"] = int(record.ttft_ms)
    return out


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000_000)
