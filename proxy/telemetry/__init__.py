"""OpenTelemetry GenAI: a span per call with the ``gen_ai.*`` semantic-convention attributes
(plus our cost, agent and run), parented to the caller's ``traceparent``, and the
``gen_ai.client.token.usage`` / ``gen_ai.client.operation.duration`` metrics, exported over
OTLP/HTTP with opentelemetry-sdk.

The export runs in a process of its own, started by the proxy (``handoff.GenAiTelemetry``): the
SDK's span and metric bookkeeping and its pure-Python OTLP encoding (~0.25 ms of CPU a call)
would otherwise compete with the event loop for the GIL and the proxy's core. The proxy pays a hand-off per call (``handoff``: a tuple of
plain values, ``_fields``, batched down a pipe); the exporter (``__main__``, ``_exporter``)
builds the spans and measurements and exports them. This package imports nothing itself, so
that the exporter process loads only what it uses.
"""
