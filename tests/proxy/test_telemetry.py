"""OpenTelemetry GenAI export against a real OTLP/HTTP receiver running in the test (protobuf
decoded with opentelemetry-proto): one span per call with gen_ai.* attributes and our cost,
agent and run, parented to the caller's traceparent; the gen_ai.client.* metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from agentops.settings import Settings
from proxy.service import ProxyService
from tests.fakeprovider.expected import served_model
from tests.fakeprovider.server import FakeProvider

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@dataclass
class Receiver:
    url: str = ""
    spans: list[Any] = field(default_factory=list)
    metrics: list[Any] = field(default_factory=list)

    async def traces(self, request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf"
        body = ExportTraceServiceRequest.FromString(await request.read())
        self.spans += [s for rs in body.resource_spans for ss in rs.scope_spans for s in ss.spans]
        return _protobuf(ExportTraceServiceResponse())

    async def metric(self, request: web.Request) -> web.Response:
        body = ExportMetricsServiceRequest.FromString(await request.read())
        self.metrics += [
            m for rm in body.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
        ]
        return _protobuf(ExportMetricsServiceResponse())


def _protobuf(message: Any) -> web.Response:
    return web.Response(body=message.SerializeToString(), content_type="application/x-protobuf")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/v1/traces", found.traces)
    app.router.add_post("/v1/metrics", found.metric)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    found.url = str(server.make_url("")).rstrip("/")
    yield found
    await server.close()


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind)


async def test_a_call_is_a_gen_ai_span_under_the_callers_trace_with_metrics(
    proxy_settings: Callable[..., Settings], fake_provider: FakeProvider, receiver: Receiver
) -> None:
    settings = proxy_settings(
        upstream_overrides={"api.openai.com": fake_provider.url}, otlp_endpoint=receiver.url
    )
    proxy = ProxyService(settings)
    await proxy.start()
    try:
        assert proxy.reverse_address is not None
        host, port = proxy.reverse_address
        async with openai.AsyncOpenAI(
            base_url=f"http://{host}:{port}/openai/v1", api_key="sk-x", max_retries=0,
            default_headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
                             "X-AgentOps-Agent": "otel-bot", "X-AgentOps-Run-Id": "otel-run"},
        ) as client:  # fmt: skip
            reply = await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        await proxy.stop()  # flushes the batch processor and the metric reader
    [span] = receiver.spans
    assert (span.trace_id.hex(), span.parent_span_id.hex()) == (TRACE_ID, PARENT_ID)
    assert span.name == "chat gpt-4o-mini"
    assert span.kind == span.SPAN_KIND_CLIENT
    attributes = {a.key: _value(a.value) for a in span.attributes}
    assert reply.usage is not None
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.system"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["gen_ai.response.model"] == served_model("gpt-4o-mini")
    assert attributes["gen_ai.usage.input_tokens"] == reply.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == reply.usage.completion_tokens
    assert attributes["gen_ai.response.finish_reasons"] == ["stop"]
    assert (attributes["agentops.agent"], attributes["agentops.run_id"]) == ("otel-bot", "otel-run")
    assert float(attributes["agentops.cost_usd"]) > 0
    assert len(attributes["agentops.cost_usd"].split(".")[1]) == 10  # exact, fixed places
    assert span.end_time_unix_nano > span.start_time_unix_nano
    by_name = {m.name: m for m in receiver.metrics}
    tokens = {
        next(_value(a.value) for a in p.attributes if a.key == "gen_ai.token.type"): p.sum
        for p in by_name["gen_ai.client.token.usage"].histogram.data_points
    }
    assert tokens == {"input": reply.usage.prompt_tokens, "output": reply.usage.completion_tokens}
    [duration] = by_name["gen_ai.client.operation.duration"].histogram.data_points
    assert duration.count == 1
    assert by_name["gen_ai.client.operation.duration"].unit == "s"
