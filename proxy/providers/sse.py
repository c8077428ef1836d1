"""Incremental server-sent-events parsing for stream meters.

Bytes may be split anywhere, even inside a UTF-8 sequence or a CRLF: only the incomplete tail
line is kept between feeds. Lines end in LF or CRLF (every provider we meter uses one of them).

A chunk that is exactly one event, a ``data: …`` line (OpenAI, Gemini) or an ``event: …`` line
and a ``data: …`` line (Anthropic, the Responses API), then its blank line, all LF-ended, is what
providers send for nearly every event; it is read without the line walk. Any other chunk takes
the walk, which gives the same event for those.
"""

from __future__ import annotations

from typing import NamedTuple

_MAX_LINE = 16 * 1024 * 1024  # one event this large means we are not reading SSE


class SseEvent(NamedTuple):
    event: str | None
    data: str


class SseParser:
    def __init__(self) -> None:
        self._tail = b""
        self._event: str | None = None
        self._data: list[str] = []
        self.idle = True  # holds nothing: no tail, no data lines, no event name

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if self.idle:
            if is_one_data_event(chunk):
                return [SseEvent(None, chunk[6:-2].decode("utf-8", "replace"))]
            if chunk.startswith(b"event: "):
                # ``event: e`` LF ``data: x`` LF LF (Anthropic, the Responses API)
                end = chunk.find(10)
                if (
                    chunk.startswith(b"data: ", end + 1)
                    and chunk.find(10, end + 1) == len(chunk) - 2
                    and chunk[-1] == 10
                    and 13 not in chunk
                ):
                    name = chunk[7:end].decode("utf-8", "replace")
                    return [SseEvent(name, chunk[end + 7 : -2].decode("utf-8", "replace"))]
        events = self._walk(chunk)
        self.idle = not self._tail and not self._data and self._event is None
        return events

    def _walk(self, chunk: bytes) -> list[SseEvent]:
        if b"\n" not in chunk:
            self._tail += chunk
            if len(self._tail) > _MAX_LINE:
                raise ValueError("SSE line too long")
            return []
        lines = (self._tail + chunk if self._tail else chunk).split(b"\n")
        self._tail = lines.pop()
        events: list[SseEvent] = []
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if self._data:
                    events.append(SseEvent(self._event, "\n".join(self._data)))
                    self._data = []
                self._event = None
            elif line.startswith(b"data"):
                value = _value(line, 4)
                if value is not None:
                    self._data.append(value.decode("utf-8", "replace"))
            elif line.startswith(b"event"):
                value = _value(line, 5)
                if value is not None:
                    self._event = value.decode("utf-8", "replace")
        return events

    def close(self) -> list[SseEvent]:
        """Events completed by the end of the stream (a last event without its blank line)."""
        events = self.feed(b"\n\n") if self._tail or self._data else []
        self._tail = b""
        return events


def is_one_data_event(chunk: bytes) -> bool:
    """``data: x`` LF LF with no other LF and no CR: for a parser holding nothing, exactly the
    one event ``SseEvent(None, x)``."""
    return (
        chunk.startswith(b"data: ")
        and chunk.find(10) == len(chunk) - 2  # the first LF ends the line
        and chunk[-1] == 10
        and 13 not in chunk
    )


def _value(line: bytes, name_length: int) -> bytes | None:
    """The value of a ``name: value`` line whose name is exactly the ``name_length`` bytes it
    starts with (``data``, ``data:x``, ``data: x``), or None when the name only starts so."""
    if len(line) == name_length:
        return b""
    if line[name_length] != 0x3A:  # ":"
        return None
    return (
        line[name_length + 2 :]
        if line[name_length + 1 : name_length + 2] == b" "
        else (line[name_length + 1 :])
    )
