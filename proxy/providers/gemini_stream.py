"""Gemini stream meter: SSE (``alt=sse``) or a JSON array of responses, detected by first byte."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from proxy.providers import fields as f
from proxy.providers.base import ResponseFacts
from proxy.providers.sse import SseParser
from proxy.providers.stream_meter import TextStreamMeter

ChunkFolder = Callable[[dict[str, Any], ResponseFacts, list[str]], None]
_MAX_PENDING = 16 * 1024 * 1024


class _JsonArrayReader:
    """Yields each element of a top-level JSON array as soon as its text is complete.

    Only the text of the element in progress is kept; raw_decode is retried when more bytes
    arrive (elements are small, so the retry cost stays bounded)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._json = json.JSONDecoder()
        self._buf = ""

    def feed(self, chunk: bytes) -> list[Any]:
        self._buf += self._decoder.decode(chunk)
        out: list[Any] = []
        while True:
            start = len(self._buf) - len(self._buf.lstrip(" \t\r\n[,]"))
            if start == len(self._buf):
                self._buf = ""
                return out
            try:
                value, end = self._json.raw_decode(self._buf, start)
            except json.JSONDecodeError:
                if len(self._buf) > _MAX_PENDING:
                    raise ValueError("JSON array element too large") from None
                self._buf = self._buf[start:]
                return out
            out.append(value)
            self._buf = self._buf[end:]


class GeminiStreamMeter(TextStreamMeter):
    def __init__(self, fold: ChunkFolder) -> None:
        super().__init__()
        self._fold = fold
        self._sse: SseParser | None = None
        self._array: _JsonArrayReader | None = None

    def _feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        for value in self._decode(chunk):
            if isinstance(value, dict):
                self._fold(value, self._facts, self._texts)
                # The last chunk carries a candidate's finishReason.
                self._facts.stream_completed |= self._facts.finish_reason is not None

    def _decode(self, chunk: bytes) -> list[Any]:
        if self._sse is None and self._array is None:
            head = chunk.lstrip()
            if not head:
                return []
            if head.startswith(b"["):
                self._array = _JsonArrayReader()
            else:
                self._sse = SseParser()
        if self._array is not None:
            return self._array.feed(chunk)
        assert self._sse is not None
        values = []
        for event in self._sse.feed(chunk):
            value, error = f.loads(event.data)
            if error:
                self._facts.parse_error = error
            values.append(value)
        return values

    def _close(self) -> None:
        if self._sse is not None:
            for event in self._sse.close():
                value, _ = f.loads(event.data)
                if isinstance(value, dict):
                    self._fold(value, self._facts, self._texts)
