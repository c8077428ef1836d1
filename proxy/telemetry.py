"""OpenTelemetry GenAI: a span per call with the ``gen_ai.*`` semantic-convention attributes
(plus our cost, agent and run), parented to the caller's ``traceparent``, and the
``gen_ai.client.token.usage`` / ``gen_ai.client.operation.duration`` metrics.

Off the hot path, and out of its way: ``record`` appends the finished record (never changed
after it is spooled) and the caller's trace headers to a deque, with no lock and no wake-up.
One worker thread, at the lowest scheduling priority (nice 19, inherited by the SDK's export
threads it creates), wakes every ``DRAIN_SECONDS``, builds each call's span as the SDK's finished
``ReadableSpan`` (with the call's own start and end times) and measurements, and gives the CPU
back to the event loop after each one, so the loop waits for the GIL one span at most; a
``BatchSpanProcessor`` exports OTLP/HTTP batches, its encoder cut short by a 0.5 ms switch
interval (``SWITCH_INTERVAL_SECONDS``, set while export is on). Handing each call to a queue the worker waited
on cost a thread wake-up and a GIL hand-off per call: 0.8 ms of CPU per call and +0.9 ms p50 at
concurrency 1. A backlog beyond ``MAX_PENDING`` calls (a collector far slower than the traffic,
or a core so saturated that the nice-19 thread gets no time) is dropped and counted: the export
is best effort and never taxes the calls themselves beyond its own CPU. Providers are private to
this object (no global tracer provider); ``shutdown`` exports what is queued and flushes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    INVALID_SPAN_CONTEXT,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    get_current_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from agentops import __version__
from agentops.money import money_text
from agentops.wire.record import CallRecord, CallStatus
from proxy import metrics

log = logging.getLogger(__name__)

DRAIN_SECONDS = 0.05
MAX_PENDING = 4_096  # ~12 MiB of finished records at most
WORKER_NICE = 19
# The SDK's batching: encoding is ~0.1-0.2 ms per span whatever the batch, each OTLP post costs
# ~1 ms more, so batches are large (a post every ~2 s at 500 calls/s) and the queue holds the
# worker's whole backlog.
EXPORT_BATCH = 1_024
EXPORT_QUEUE = 8_192
EXPORT_DELAY_MS = 2_000
# The SDK's OTLP encoder is pure Python (~0.1-0.2 ms per span, a batch at a time, on its export
# thread): the event loop, woken meanwhile, would wait up to the interpreter's 5 ms switch
# interval for the GIL at each wake-up. While export is on, the interval is this instead.
SWITCH_INTERVAL_SECONDS = 0.0005
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_UNSET = Status(StatusCode.UNSET)

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
        self._endpoint = endpoint.rstrip("/")
        self._metrics_interval = metrics_interval_seconds
        self._pending: deque[tuple[CallRecord, dict[str, str]]] = deque()
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._failed: Exception | None = None
        self._worker = threading.Thread(target=self._run, name="otel-genai", daemon=True)
        self._worker.start()
        self._started.wait()
        if self._failed is not None:
            raise self._failed
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)

    def record(self, record: CallRecord, headers: Mapping[str, str]) -> None:
        """Queue one finished call (``headers``: the request's, for its trace context)."""
        if not record.metered:
            return
        if len(self._pending) >= MAX_PENDING:
            metrics.OTEL_DROPPED.inc()
            return
        trace = {name: value for name in ("traceparent", "tracestate")
                 if (value := headers.get(name)) is not None}  # fmt: skip
        self._pending.append((record, trace))

    def _run(self) -> None:
        try:
            # Linux: the calling thread only; the SDK's threads created below inherit it.
            os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICE)
            self._build()
        except Exception as exc:  # noqa: BLE001 - re-raised by __init__, on the caller's thread
            self._failed = exc
            return
        finally:
            self._started.set()
        while not self._stopping.wait(DRAIN_SECONDS):
            self._drain()
        self._drain()

    def _build(self) -> None:
        resource = Resource.create(
            {"service.name": "agentops-proxy", "service.version": __version__}
        )
        # Spans are built as the SDK's finished ``ReadableSpan`` and handed to its batch
        # processor: a tracer's ``start_span``/``end`` (sampler, context, span locks, attribute
        # copies) cost ~85 us per span, this ~5 us. Sampling as the default ``ParentBased``
        # sampler does it: under the caller's sampled flag, else always.
        self._resource = resource
        self._scope = InstrumentationScope("agentops.proxy", __version__)
        self._ids = RandomIdGenerator()
        self._spans = BatchSpanProcessor(
            OTLPSpanExporter(f"{self._endpoint}/v1/traces"),
            max_queue_size=EXPORT_QUEUE,
            max_export_batch_size=EXPORT_BATCH,
            schedule_delay_millis=EXPORT_DELAY_MS,
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(f"{self._endpoint}/v1/metrics"),
            export_interval_millis=self._metrics_interval * 1000,
        )
        views = [
            View(instrument_name="gen_ai.client.token.usage",
                 aggregation=ExplicitBucketHistogramAggregation(_TOKEN_BUCKETS)),
            View(instrument_name="gen_ai.client.operation.duration",
                 aggregation=ExplicitBucketHistogramAggregation(_DURATION_BUCKETS)),
        ]  # fmt: skip
        self._metrics = MeterProvider(resource=resource, metric_readers=[reader], views=views)
        meter = self._metrics.get_meter("agentops.proxy", __version__)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Tokens used per call."
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="Duration of a GenAI call."
        )
        self._propagator = TraceContextTextMapPropagator()

    def _drain(self) -> None:
        pending = self._pending
        while pending:
            record, trace = pending.popleft()
            try:
                self._export(record, trace)
            except Exception:  # one bad record must not stop the export of the others
                log.exception(
                    "OpenTelemetry span not built", extra={"call_id": str(record.call_id)}
                )
            os.sched_yield()  # the GIL goes back to the event loop if it waits for it

    def _export(self, record: CallRecord, trace: dict[str, str]) -> None:
        common = _common(record)
        parent = (
            get_current_span(self._propagator.extract(trace)).get_span_context()
            if trace
            else INVALID_SPAN_CONTEXT
        )
        if not parent.is_valid or parent.trace_flags.sampled:
            self._spans.on_end(self._span(record, common, parent))
        for kind, count in (("input", record.tokens.input), ("output", record.tokens.output)):
            if record.tokens.source != "none":
                self._tokens.record(count, {**common, "gen_ai.token.type": kind})
        if record.latency_ms is not None:
            self._duration.record(record.latency_ms / 1000, common)

    def _span(
        self, record: CallRecord, common: dict[str, str], parent: SpanContext
    ) -> ReadableSpan:
        context = SpanContext(
            parent.trace_id if parent.is_valid else self._ids.generate_trace_id(),
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=_SAMPLED,
            trace_state=parent.trace_state if parent.is_valid else None,
        )
        status = _UNSET
        if record.status not in (CallStatus.OK, CallStatus.IN_PROGRESS):
            status = Status(StatusCode.ERROR, record.error_type or record.status.value)
        return ReadableSpan(
            f"{common['gen_ai.operation.name']} {record.model_requested or ''}".strip(),
            context=context,
            parent=parent if parent.is_valid else None,
            resource=self._resource,
            attributes={**common, **_details(record)},
            kind=SpanKind.CLIENT,
            status=status,
            start_time=_ns(record.started_at),
            end_time=_ns(record.ended_at or record.started_at),
            instrumentation_scope=self._scope,
        )

    def shutdown(self) -> None:
        """Export every queued call, flush spans and metrics, then stop the threads."""
        self._stopping.set()
        self._worker.join()
        self._spans.shutdown()  # type: ignore[no-untyped-call]  # (the SDK leaves it untyped)
        self._metrics.shutdown()
        sys.setswitchinterval(self._switch_interval)


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
