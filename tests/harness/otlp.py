"""A real OTLP/HTTP receiver for the tests: it decodes each export (protobuf, with
opentelemetry-proto) and keeps the spans and metrics it was sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

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

    def runs(self) -> list[str]:
        """The ``agentops.run_id`` of each span received, in order."""
        return [attributes(s)["agentops.run_id"] for s in self.spans]


def _protobuf(message: Any) -> web.Response:
    return web.Response(body=message.SerializeToString(), content_type="application/x-protobuf")


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/v1/traces", found.traces)
    app.router.add_post("/v1/metrics", found.metric)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    found.url = str(server.make_url("")).rstrip("/")
    try:
        yield found
    finally:
        await server.close()


def value(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind)


def attributes(item: Any) -> dict[str, Any]:
    """A span's or a data point's attributes as plain values."""
    return {a.key: value(a.value) for a in item.attributes}
