"""The exporter process's OpenTelemetry side: each call's span, built as the SDK's finished
``ReadableSpan`` (with the call's own start and end times) and handed to its
``BatchSpanProcessor`` and OTLP/HTTP exporter, and the ``gen_ai.client.token.usage`` /
``gen_ai.client.operation.duration`` measurements, recorded with the SDK's meter provider and
exported by its periodic reader. Providers are private to this object (no global provider);
``shutdown`` exports what is queued and flushes.

A tracer's ``start_span``/``end`` (sampler, context, span locks, attribute copies) cost ~85 us per
span, a ``ReadableSpan`` ~5 us. Sampling is the default ``ParentBased`` sampler's: under the
caller's sampled flag, else always (a caller's unsampled ``traceparent`` gets no span; its call
is still measured).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

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
from proxy.telemetry._fields import Call

# The SDK's batching: encoding is ~0.1-0.2 ms per span whatever the batch, each OTLP post costs
# ~1 ms more, so batches are large (a post every ~2 s at 500 calls/s).
EXPORT_BATCH = 1_024
EXPORT_QUEUE = 8_192
EXPORT_DELAY_MS = 2_000
# Each OTLP post gives up after this (the SDK retries within it): a dead collector costs the
# exporter process a wait, never the proxy.
EXPORT_TIMEOUT_SECONDS = 5.0
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_UNSET = Status(StatusCode.UNSET)
_SETTLED = ("ok", "in_progress")  # statuses that are not errors

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


class GenAiExporter:
    def __init__(self, endpoint: str, *, metrics_interval_seconds: float = 60.0) -> None:
        endpoint = endpoint.rstrip("/")
        self._resource = Resource.create(
            {"service.name": "agentops-proxy", "service.version": __version__}
        )
        self._scope = InstrumentationScope("agentops.proxy", __version__)
        self._ids = RandomIdGenerator()
        self._spans = BatchSpanProcessor(
            OTLPSpanExporter(f"{endpoint}/v1/traces", timeout=EXPORT_TIMEOUT_SECONDS),
            max_queue_size=EXPORT_QUEUE,
            max_export_batch_size=EXPORT_BATCH,
            schedule_delay_millis=EXPORT_DELAY_MS,
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(f"{endpoint}/v1/metrics", timeout=EXPORT_TIMEOUT_SECONDS),
            export_interval_millis=metrics_interval_seconds * 1000,
        )
        views = [
            View(instrument_name="gen_ai.client.token.usage",
                 aggregation=ExplicitBucketHistogramAggregation(_TOKEN_BUCKETS)),
            View(instrument_name="gen_ai.client.operation.duration",
                 aggregation=ExplicitBucketHistogramAggregation(_DURATION_BUCKETS)),
        ]  # fmt: skip
        self._metrics = MeterProvider(
            resource=self._resource, metric_readers=[reader], views=views, shutdown_on_exit=False
        )
        meter = self._metrics.get_meter("agentops.proxy", __version__)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Tokens used per call."
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="Duration of a GenAI call."
        )
        self._propagator = TraceContextTextMapPropagator()

    def export(self, call: Call) -> None:
        common = _common(call)
        parent = INVALID_SPAN_CONTEXT
        if call.traceparent is not None:
            trace = {"traceparent": call.traceparent}
            if call.tracestate is not None:
                trace["tracestate"] = call.tracestate
            parent = get_current_span(self._propagator.extract(trace)).get_span_context()
        if not parent.is_valid or parent.trace_flags.sampled:
            self._spans.on_end(self._span(call, common, parent))
        if call.token_source != "none":
            for kind, count in (("input", call.input_tokens), ("output", call.output_tokens)):
                self._tokens.record(count, {**common, "gen_ai.token.type": kind})
        if call.latency_ms is not None:
            self._duration.record(call.latency_ms / 1000, common)

    def _span(self, call: Call, common: dict[str, str], parent: SpanContext) -> ReadableSpan:
        context = SpanContext(
            parent.trace_id if parent.is_valid else self._ids.generate_trace_id(),
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=_SAMPLED,
            trace_state=parent.trace_state if parent.is_valid else None,
        )
        status = _UNSET
        if call.status not in _SETTLED:
            status = Status(StatusCode.ERROR, call.error_type or call.status)
        return ReadableSpan(
            f"{common['gen_ai.operation.name']} {call.model_requested or ''}".strip(),
            context=context,
            parent=parent if parent.is_valid else None,
            resource=self._resource,
            attributes={**common, **_details(call)},
            kind=SpanKind.CLIENT,
            status=status,
            start_time=call.start_ns,
            end_time=call.end_ns,
            instrumentation_scope=self._scope,
        )

    def shutdown(self) -> None:
        """Export every queued span, flush the metrics, stop the SDK's threads."""
        self._spans.shutdown()  # type: ignore[no-untyped-call]  # (the SDK leaves it untyped)
        self._metrics.shutdown()


def _common(call: Call) -> dict[str, str]:
    system = _SYSTEMS.get(call.provider, call.provider)
    attributes = {
        "gen_ai.operation.name": _OPERATIONS.get(call.endpoint, call.endpoint),
        "gen_ai.system": system,
        "gen_ai.provider.name": system,
        "gen_ai.request.model": call.model_requested or "",
    }
    if call.model_served:
        attributes["gen_ai.response.model"] = call.model_served
    if call.status not in _SETTLED:
        attributes["error.type"] = call.error_type or call.status
    return attributes


def _details(call: Call) -> dict[str, str | int | bool | list[str]]:
    out: dict[str, str | int | bool | list[str]] = {
        "gen_ai.usage.input_tokens": call.input_tokens,
        "gen_ai.usage.output_tokens": call.output_tokens,
        "agentops.call_id": str(UUID(int=call.call_id)),
        "agentops.org": call.org,
        "agentops.agent": call.agent,
        "agentops.run_id": call.run_id,
        "agentops.status": call.status,
        "agentops.streamed": call.streamed,
        "agentops.tokens.source": call.token_source,
    }
    if call.cached_read_tokens:
        out["gen_ai.usage.cache_read.input_tokens"] = call.cached_read_tokens
    if call.cache_write_tokens:
        out["gen_ai.usage.cache_creation.input_tokens"] = call.cache_write_tokens
    if call.reasoning_tokens:
        out["gen_ai.usage.reasoning.output_tokens"] = call.reasoning_tokens
    if call.finish_reason:
        out["gen_ai.response.finish_reasons"] = [call.finish_reason]
    if call.host:
        out["server.address"] = call.host
    if call.http_status is not None:
        out["http.response.status_code"] = call.http_status
    if call.cost_usd is not None:
        out["agentops.cost_usd"] = money_text(Decimal(call.cost_usd))
    else:
        out["agentops.unpriced_reason"] = call.unpriced_reason or "unknown"
    if call.price_version:
        out["agentops.price_version"] = call.price_version
    if call.ttft_ms is not None:
        out["agentops.ttft_ms"] = int(call.ttft_ms)
    return out
