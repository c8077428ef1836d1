"""Anthropic Messages API: JSON replies and the named-event SSE stream.

Anthropic's ``input_tokens`` excludes ``cache_read_input_tokens`` and
``cache_creation_input_tokens``; our ``input`` is their sum. Cache writes split by TTL come
from ``usage.cache_creation`` (ephemeral_5m / ephemeral_1h); without that breakdown every
write counts as 5-minute (the default TTL).
"""

from __future__ import annotations

from typing import Any

from pricing import Usage
from proxy.providers import fields as f
from proxy.providers import refusals
from proxy.providers.base import (
    Endpoint,
    RequestFacts,
    ResponseFacts,
    StreamMeter,
    json_request,
)
from proxy.providers.sse import SseParser
from proxy.providers.stream_meter import TextStreamMeter

_NON_METERED = ("/count_tokens", "/batches", "/models", "/files")


def anthropic_usage(usage: Any) -> Usage | None:
    if not isinstance(usage, dict):
        return None
    read, write = (
        f.num(usage, "cache_read_input_tokens"),
        f.num(usage, "cache_creation_input_tokens"),
    )
    split = f.obj(usage, "cache_creation")
    write_1h = f.num(split, "ephemeral_1h_input_tokens")
    write_5m = f.num(split, "ephemeral_5m_input_tokens") if split else write
    return Usage(
        input=f.num(usage, "input_tokens") + read + write,
        output=f.num(usage, "output_tokens"),
        cached_read=read,
        cache_write_5m=write_5m,
        cache_write_1h=write_1h,
        reasoning=f.num(f.obj(usage, "output_tokens_details"), "thinking_tokens"),
    )


def message_facts(message: dict[str, Any], facts: ResponseFacts) -> None:
    facts.model_served = f.text(message, "model") or facts.model_served
    facts.usage = anthropic_usage(message.get("usage"))
    facts.finish_reason = f.text(message, "stop_reason") or facts.finish_reason
    facts.service_tier = f.text(f.obj(message, "usage"), "service_tier")
    texts: list[str] = []
    for block in f.items(message, "content"):
        kind = f.text(block, "type")
        if kind in ("tool_use", "server_tool_use"):
            facts.tool_names.append(f.text(block, "name") or "")
        texts.append(f.text(block, "text") or f.text(block, "thinking") or "")
    facts.completion_text = "".join(texts)
    facts.output_text_chars = len(facts.completion_text)


def error_facts(body: Any, facts: ResponseFacts) -> None:
    err = f.obj(body, "error")
    facts.error_type = f.text(err, "type") or "error"
    facts.error_message = f.text(err, "message")


class AnthropicStreamMeter(TextStreamMeter):
    """message_start (model, input-side usage) → content blocks → message_delta (cumulative
    output_tokens, stop_reason) → message_stop. ``handle`` takes one decoded event, so Bedrock's
    InvokeModelWithResponseStream reuses it."""

    def __init__(self) -> None:
        super().__init__()
        self._sse = SseParser()
        self._usage: dict[str, Any] | None = None

    def _feed(self, chunk: bytes) -> None:
        for event in self._sse.feed(chunk):
            data, error = f.loads(event.data)
            if error or not isinstance(data, dict):
                self._facts.parse_error = error or "stream: event is not an object"
                continue
            self.handle(data)

    def handle(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "message_start":
            message = f.obj(data, "message")
            self._facts.model_served = f.text(message, "model")
            if isinstance(message.get("usage"), dict):
                self._usage = dict(message["usage"])
        elif kind == "content_block_start":
            block = f.obj(data, "content_block")
            if f.text(block, "type") in ("tool_use", "server_tool_use"):
                self._facts.tool_names.append(f.text(block, "name") or "")
        elif kind == "content_block_delta":
            delta = f.obj(data, "delta")
            piece = (
                f.text(delta, "text") or f.text(delta, "thinking") or f.text(delta, "partial_json")
            )
            if piece:
                self._texts.append(piece)
        elif kind == "message_delta":
            self._facts.finish_reason = f.text(f.obj(data, "delta"), "stop_reason")
            if isinstance(data.get("usage"), dict):
                # Cumulative counts; fields present here supersede message_start's.
                self._usage = {
                    **(self._usage or {}),
                    **{k: v for k, v in data["usage"].items() if v is not None},
                }
        elif kind == "message_stop":
            self._facts.stream_completed = True
        elif kind == "error":
            error_facts(data, self._facts)

    def _close(self) -> None:
        for event in self._sse.close():
            data, _ = f.loads(event.data)
            if isinstance(data, dict):
                self.handle(data)

    def finish(self) -> ResponseFacts:
        facts = super().finish()
        facts.usage = anthropic_usage(self._usage)
        facts.service_tier = f.text(self._usage, "service_tier")
        return facts


def parse_anthropic_request(endpoint: Endpoint, body: bytes) -> RequestFacts:
    return json_request(endpoint, body, _request_facts)


def _request_facts(endpoint: Endpoint, data: dict[str, Any], model: str | None) -> RequestFacts:
    return RequestFacts(
        model=model,
        stream=data.get("stream") is True or endpoint.streaming_hint,
        max_output_tokens=f.num(data, "max_tokens") or None,
        tool_names=[f.text(t, "name") or f.text(t, "type") or "" for t in f.items(data, "tools")],
        service_tier=f.text(data, "service_tier"),
    )


def parse_anthropic_response(status: int, body: bytes) -> ResponseFacts:
    facts = ResponseFacts()
    data, facts.parse_error = f.loads_object(body)
    if data is None:
        return facts
    if status >= 400 or data.get("type") == "error":
        error_facts(data, facts)
    else:
        message_facts(data, facts)
    return facts


class AnthropicAdapter(refusals.RefusesInShape):
    error_shape = refusals.ANTHROPIC
    name = "anthropic"

    def classify(self, method: str, host: str, path: str) -> Endpoint:
        bare = path.split("?", 1)[0].rstrip("/")
        if method.upper() == "POST" and not any(s in bare for s in _NON_METERED):
            if bare.endswith("/messages"):
                return Endpoint(provider=self.name, name="messages")
            if bare.endswith("/complete"):
                return Endpoint(provider=self.name, name="completions")
        name = "count_tokens" if bare.endswith("/count_tokens") else "other"
        return Endpoint(provider=self.name, name=name, metered=False)

    def parse_request(self, endpoint: Endpoint, body: bytes) -> RequestFacts:
        if not endpoint.metered:
            return RequestFacts()
        return parse_anthropic_request(endpoint, body)

    def parse_response(self, endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts:
        return parse_anthropic_response(status, body)

    def stream_meter(self, endpoint: Endpoint, request: RequestFacts) -> StreamMeter:
        return AnthropicStreamMeter()
