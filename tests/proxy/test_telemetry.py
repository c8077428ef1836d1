"""OpenTelemetry GenAI export against a real OTLP/HTTP receiver running in the test (protobuf
decoded with opentelemetry-proto): one span per call with gen_ai.* attributes and our cost,
agent and run, parented to the caller's traceparent; the gen_ai.client.* metrics."""

from __future__ import annotations

from collections.abc import Callable

from agentops.settings import Settings
from tests.fakeprovider.expected import served_model
from tests.harness.otlp import Receiver, attributes
from tests.proxy.helpers import chat, serving

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


async def test_a_call_is_a_gen_ai_span_under_the_callers_trace_with_metrics(
    otel_settings: Callable[[str], Settings], receiver: Receiver
) -> None:
    async with serving(otel_settings(receiver.url)) as address:  # stopped: all flushed
        reply = await chat(
            address, traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01",
            **{"X-AgentOps-Agent": "otel-bot", "X-AgentOps-Run-Id": "otel-run"},
        )  # fmt: skip
    [span] = receiver.spans
    assert (span.trace_id.hex(), span.parent_span_id.hex()) == (TRACE_ID, PARENT_ID)
    assert span.name == "chat gpt-4o-mini"
    assert span.kind == span.SPAN_KIND_CLIENT
    found = attributes(span)
    assert reply.usage is not None
    assert found["gen_ai.operation.name"] == "chat"
    assert found["gen_ai.system"] == "openai"
    assert found["gen_ai.request.model"] == "gpt-4o-mini"
    assert found["gen_ai.response.model"] == served_model("gpt-4o-mini")
    assert found["gen_ai.usage.input_tokens"] == reply.usage.prompt_tokens
    assert found["gen_ai.usage.output_tokens"] == reply.usage.completion_tokens
    assert found["gen_ai.response.finish_reasons"] == ["stop"]
    assert (found["agentops.agent"], found["agentops.run_id"]) == ("otel-bot", "otel-run")
    assert float(found["agentops.cost_usd"]) > 0
    assert len(found["agentops.cost_usd"].split(".")[1]) == 10  # exact, fixed places
    assert span.end_time_unix_nano > span.start_time_unix_nano
    by_name = {m.name: m for m in receiver.metrics}
    tokens = {
        attributes(p)["gen_ai.token.type"]: p.sum
        for p in by_name["gen_ai.client.token.usage"].histogram.data_points
    }
    assert tokens == {"input": reply.usage.prompt_tokens, "output": reply.usage.completion_tokens}
    [duration] = by_name["gen_ai.client.operation.duration"].histogram.data_points
    assert duration.count == 1
    assert by_name["gen_ai.client.operation.duration"].unit == "s"


async def test_an_unsampled_caller_gets_no_span_but_its_call_is_measured(
    otel_settings: Callable[[str], Settings], receiver: Receiver
) -> None:
    """ParentBased sampling: the caller's sampled flag decides; no traceparent, always."""
    async with serving(otel_settings(receiver.url)) as address:
        unsampled = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-00"}
        await chat(address, **{"X-AgentOps-Run-Id": "unsampled"}, **unsampled)
        await chat(address, **{"X-AgentOps-Run-Id": "untraced"})
    [span] = receiver.spans
    assert attributes(span)["agentops.run_id"] == "untraced"
    assert span.trace_id.hex() != TRACE_ID
    assert not span.parent_span_id
    by_name = {m.name: m for m in receiver.metrics}
    [duration] = by_name["gen_ai.client.operation.duration"].histogram.data_points
    assert duration.count == 2
