"""Amazon Bedrock: Converse / ConverseStream, and InvokeModel for Anthropic models.

Converse's ``inputTokens`` excludes ``cacheReadInputTokens`` and ``cacheWriteInputTokens``
(as Anthropic's does): our ``input`` is their sum. Bedrock reports cache writes without a TTL
split; they count as 5-minute writes. Streams use AWS event-stream binary framing.
"""

from __future__ import annotations

import base64
import json
import re
from functools import partial
from typing import Any
from urllib.parse import unquote

from pricing import Usage
from proxy import tokenizer
from proxy.providers import anthropic as an
from proxy.providers import fields as f
from proxy.providers import refusals
from proxy.providers.base import (
    Endpoint,
    RequestFacts,
    ResponseFacts,
    StreamMeter,
)
from proxy.providers.eventstream import EventStreamError, Frame, FrameDecoder
from proxy.providers.stream_meter import TextStreamMeter

_PATH = re.compile(
    r"^/model/([^/]+)/(converse|converse-stream|invoke|invoke-with-response-stream)$"
)
_STREAMING = ("converse-stream", "invoke-with-response-stream")


def converse_usage(usage: Any) -> Usage | None:
    if not isinstance(usage, dict):
        return None
    read, write = f.num(usage, "cacheReadInputTokens"), f.num(usage, "cacheWriteInputTokens")
    return Usage(
        input=f.num(usage, "inputTokens") + read + write,
        output=f.num(usage, "outputTokens"),
        cached_read=read,
        cache_write_5m=write,
    )


def converse_facts(body: dict[str, Any], facts: ResponseFacts) -> None:
    facts.usage = converse_usage(body.get("usage"))
    facts.finish_reason = f.text(body, "stopReason")
    texts: list[str] = []
    for block in f.items(f.obj(body, "output", "message"), "content"):
        if f.text(block, "text"):
            texts.append(block["text"])
        if f.obj(block, "toolUse"):
            facts.tool_names.append(f.text(block["toolUse"], "name") or "")
            texts.append(json.dumps(block["toolUse"].get("input")))
    facts.completion_text = "".join(texts)
    facts.output_text_chars = len(facts.completion_text)


class ConverseStreamMeter(TextStreamMeter):
    """Frames: messageStart, contentBlockStart/Delta/Stop, messageStop, metadata (usage).
    Exception frames (``:message-type: exception``) become the error facts."""

    _errors = (EventStreamError, *TextStreamMeter._errors)

    def __init__(self, model: str | None) -> None:
        super().__init__(ResponseFacts(model_served=model))
        self._frames = FrameDecoder()

    def _feed(self, chunk: bytes) -> None:
        for frame in self._frames.feed(chunk):
            self._frame(frame)

    def _frame(self, frame: Frame) -> None:
        data, error = f.loads(frame.payload)
        if error or not isinstance(data, dict):
            self._facts.parse_error = error or "stream: payload is not an object"
            return
        if frame.headers.get(":message-type") == "exception":
            self._facts.error_type = frame.headers.get(":exception-type", "exception")
            self._facts.error_message = f.text(data, "message") or f.text(data, "Message")
            return
        self._event(frame.headers.get(":event-type", ""), data)

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "contentBlockDelta":
            delta = f.obj(data, "delta")
            piece = f.text(delta, "text") or f.text(f.obj(delta, "toolUse"), "input")
            piece = piece or f.text(f.obj(delta, "reasoningContent"), "text")
            if piece:
                self._texts.append(piece)
        elif kind == "contentBlockStart":
            tool = f.obj(data, "start", "toolUse")
            if tool:
                self._facts.tool_names.append(f.text(tool, "name") or "")
        elif kind == "messageStop":
            self._facts.finish_reason = f.text(data, "stopReason")
        elif kind == "metadata":
            self._facts.usage = converse_usage(data.get("usage"))
            self._facts.stream_completed = True

    def _close(self) -> None:
        if self._frames.pending:
            self._facts.parse_error = f"stream: {self._frames.pending} bytes of an incomplete frame"


class InvokeStreamMeter(ConverseStreamMeter):
    """InvokeModelWithResponseStream for Anthropic models: ``chunk`` frames whose payload is
    ``{"bytes": base64(anthropic event JSON)}``."""

    def __init__(self, model: str | None) -> None:
        super().__init__(model)
        self._anthropic = an.AnthropicStreamMeter()

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "chunk" and f.text(data, "bytes"):
            event, error = f.loads(base64.b64decode(data["bytes"]))
            if isinstance(event, dict):
                self._anthropic.handle(event)
            else:
                self._facts.parse_error = error

    def first_token_seen(self) -> bool:
        return self._anthropic.first_token_seen()

    def output_text(self) -> str:
        return self._anthropic.output_text()

    def output_chars(self) -> int:
        return self._anthropic.output_chars()

    def finish(self) -> ResponseFacts:
        facts = self._anthropic.finish()
        facts.model_served = facts.model_served or self._facts.model_served
        facts.parse_error = facts.parse_error or self._facts.parse_error
        facts.error_type, facts.error_message = self._facts.error_type, self._facts.error_message
        return facts


class BedrockAdapter(refusals.RefusesInShape):
    error_shape = refusals.BEDROCK
    name = "bedrock"

    def classify(self, method: str, host: str, path: str) -> Endpoint:
        match = _PATH.match(path.split("?", 1)[0])
        if method.upper() != "POST" or not match:
            return Endpoint(provider=self.name, name="other", metered=False)
        action = match.group(2)
        return Endpoint(
            provider=self.name,
            name="converse" if action.startswith("converse") else "invoke",
            streaming_hint=action in _STREAMING,
            model_from_path=unquote(match.group(1)),
        )

    def parse_request(self, endpoint: Endpoint, body: bytes) -> RequestFacts:
        if not endpoint.metered:
            return RequestFacts()
        if endpoint.name == "invoke":
            return an.parse_anthropic_request(endpoint, body)
        data, error = f.loads_object(body)
        if data is None:
            return RequestFacts(model=endpoint.model_from_path, parse_error=error)
        facts = RequestFacts(
            model=endpoint.model_from_path,
            stream=endpoint.streaming_hint,
            max_output_tokens=f.num(f.obj(data, "inferenceConfig"), "maxTokens") or None,
            tool_names=[
                f.text(f.obj(t, "toolSpec"), "name") or ""
                for t in f.items(f.obj(data, "toolConfig"), "tools")
            ],
        )
        facts.defer_estimate(
            partial(tokenizer.estimate_prompt_tokens, endpoint.name, data, endpoint.model_from_path)
        )
        return facts

    def parse_response(self, endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts:
        if endpoint.name == "invoke" and status < 400:
            facts = an.parse_anthropic_response(status, body)
            facts.model_served = facts.model_served or endpoint.model_from_path
            return facts
        facts = ResponseFacts(model_served=endpoint.model_from_path)
        data, facts.parse_error = f.loads_object(body)
        if data is None:
            return facts
        if status >= 400:
            facts.error_type = f.text(data, "__type") or f"http_{status}"
            facts.error_message = f.text(data, "message") or f.text(data, "Message")
        else:
            converse_facts(data, facts)
        return facts

    def stream_meter(self, endpoint: Endpoint, request: RequestFacts) -> StreamMeter:
        if endpoint.name == "invoke":
            return InvokeStreamMeter(endpoint.model_from_path)
        return ConverseStreamMeter(endpoint.model_from_path)
