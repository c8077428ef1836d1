"""OpenTelemetry GenAI: a span per call with the ``gen_ai.*`` semantic-convention attributes
(plus our cost, agent and run), parented to the caller's ``traceparent``, and the
``gen_ai.client.token.usage`` / ``gen_ai.client.operation.duration`` metrics, exported over
OTLP/HTTP with opentelemetry-sdk.

The export runs in a process of its own, started by the proxy: the SDK's span and metric
bookkeeping and its pure-Python OTLP encoding (~0.25 ms of CPU a call) would otherwise compete
with the event loop for the GIL. The proxy pays a hand-off per call (``_handoff``: a tuple of
plain values, ``_fields``, batched down a pipe); the exporter (``__main__``, ``_exporter``)
builds the spans and measurements and exports them.
"""

from proxy.telemetry._handoff import ExporterFailed, GenAiTelemetry

__all__ = ["ExporterFailed", "GenAiTelemetry"]
