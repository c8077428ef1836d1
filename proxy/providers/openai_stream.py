"""Stream meters for OpenAI chat-completion chunks and Responses API events."""

from __future__ import annotations

from typing import Any

import orjson

from proxy.providers import fields as f
from proxy.providers import openai_wire as wire
from proxy.providers.sse import SseParser
from proxy.providers.stream_meter import TextStreamMeter


class _SseMeter(TextStreamMeter):
    """SSE framing; text is counted as it comes, since a chat stream keeps a text per choice."""

    _errors = (*TextStreamMeter._errors, KeyError)

    def __init__(self) -> None:
        super().__init__()
        self._sse = SseParser()
        self._chars = 0
        self._first = False

    def feed(self, chunk: bytes) -> None:
        """``TextStreamMeter.feed``; a chunk that is one whole ``data: x`` event (nearly every
        chunk) goes to ``_event`` as bytes, without the parser's calls or a decode."""
        if self._broken:
            return
        sse = self._sse
        try:
            if (
                sse.idle
                and chunk.startswith(b"data: ")
                and chunk.find(10) == len(chunk) - 2  # is_one_data_event, inlined
                and chunk[-1] == 10
                and 13 not in chunk
            ):
                self._event(None, chunk[6:-2])
            else:
                for event in sse.feed(chunk):
                    self._event(event.event, event.data)
        except self._errors as exc:
            self._broken = True
            self._facts.parse_error = f"stream: {str(exc)[:160]}"

    def first_token_seen(self) -> bool:
        return self._first

    def output_chars(self) -> int:
        return self._chars

    def _close(self) -> None:
        try:
            for event in self._sse.close():
                self._event(event.event, event.data)
        except ValueError as exc:
            self._facts.parse_error = f"stream: {str(exc)[:160]}"

    def _text(self, piece: Any, texts: list[str] | None = None) -> None:
        if isinstance(piece, str) and piece:
            (self._texts if texts is None else texts).append(piece)
            self._chars += len(piece)
            self._first = True

    def _event(self, name: str | None, data: bytes | str) -> None:
        """One event; ``data`` as bytes when read without the parser (valid UTF-8 or not)."""
        raise NotImplementedError


class ChatStreamMeter(_SseMeter):
    """``data: {chat.completion.chunk}`` events, then ``data: [DONE]``. Usage arrives only in
    a final chunk with empty choices, and only when the client set stream_options.include_usage.
    With n > 1 the choices' deltas interleave; text is kept per choice index."""

    def __init__(self) -> None:
        super().__init__()
        self._choices: dict[int, list[str]] = {}

    def output_text(self) -> str:
        return "".join("".join(self._choices[i]) for i in sorted(self._choices))

    def _event(self, name: str | None, data: bytes | str) -> None:
        # One such event per token: orjson is called directly (what it refuses, ``[DONE]``
        # (never JSON) included, is read as before, from the text), and the fields' readers
        # (``fields``) and the choice's are inlined here.
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            text = _text_of(data)
            if text.startswith("[DONE]"):
                self._facts.stream_completed = True
                return
            chunk, error = f.loads(text)
            if error:
                self._facts.parse_error = error
                return
        facts = self._facts
        if not isinstance(chunk, dict):
            facts.parse_error = "stream: chunk is not an object"
            return
        if "error" in chunk:
            wire.error_facts(chunk, facts)
            return
        if not facts.model_served:
            facts.model_served = f.text(chunk, "model")
        tier = chunk.get("service_tier")
        if tier and isinstance(tier, str):
            facts.service_tier = tier
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            facts.usage = wire.chat_usage(usage)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return
        for choice in choices:
            if not isinstance(choice, dict):
                self._choices.setdefault(0, [])
                continue
            index = choice.get("index")
            if type(index) is not int or index < 0:  # decoded JSON: no bool, no int subclass
                index = 0
            texts = self._choices.get(index)
            if texts is None:
                texts = self._choices[index] = []
            delta = choice.get("delta")
            if isinstance(delta, dict):
                content = delta.get("content")
                if content and isinstance(content, str):
                    texts.append(content)
                    self._chars += len(content)
                    self._first = True
                if content is None or len(delta) != 1:  # else "content" is its only key
                    if delta.get("refusal"):
                        self._text(delta["refusal"], texts)
                    if delta.get("tool_calls"):
                        self._tool_calls(delta["tool_calls"], texts)
            reason = choice.get("finish_reason")
            if reason and isinstance(reason, str):
                facts.finish_reason = reason

    def _tool_calls(self, calls: Any, texts: list[str]) -> None:
        for call in calls if isinstance(calls, list) else ():
            function = f.obj(call, "function")
            name = f.text(function, "name")
            if name:
                self._facts.tool_names.append(name)
            self._text(function.get("arguments"), texts)


_TEXT_DELTAS = frozenset(
    {
        "response.output_text.delta",
        "response.refusal.delta",
        "response.function_call_arguments.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_text.delta",
        "response.custom_tool_call_input.delta",
    }
)
_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesStreamMeter(_SseMeter):
    """Typed events (``event: response.output_text.delta`` …); the final response object in
    response.completed / incomplete / failed carries usage, model and output items."""

    def _event(self, name: str | None, data: bytes | str) -> None:
        value, error = f.loads(_text_of(data))
        if error or not isinstance(value, dict):
            self._facts.parse_error = error or "stream: event is not an object"
            return
        kind = f.text(value, "type") or name or ""
        if kind in _TEXT_DELTAS:
            self._text(value.get("delta"))
        elif kind == "response.created":
            self._facts.model_served = f.text(f.obj(value, "response"), "model")
        elif kind in _FINAL:
            wire.parse_responses(f.obj(value, "response"), self._facts)
            self._facts.stream_completed = True
        elif kind == "error":
            self._facts.error_type = f.text(value, "code") or "error"
            self._facts.error_message = f.text(value, "message")


def _text_of(data: bytes | str) -> str:
    """An event's data as the parser decodes it."""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
