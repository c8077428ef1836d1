"""Incremental server-sent-events parsing for stream meters.

Bytes may be split anywhere, even inside a UTF-8 sequence or a CRLF: only the incomplete tail
line is kept between feeds. Lines end in LF or CRLF (every provider we meter uses one of them).
"""

from __future__ import annotations

from dataclasses import dataclass

_MAX_LINE = 16 * 1024 * 1024  # one event this large means we are not reading SSE


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str | None
    data: str


class SseParser:
    def __init__(self) -> None:
        self._tail = b""
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if b"\n" not in chunk:
            self._tail += chunk
            if len(self._tail) > _MAX_LINE:
                raise ValueError("SSE line too long")
            return []
        lines = (self._tail + chunk).split(b"\n")
        self._tail = lines.pop()
        events: list[SseEvent] = []
        for raw in lines:
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if not line:
                if self._data:
                    events.append(SseEvent(self._event, "\n".join(self._data)))
                self._event, self._data = None, []
                continue
            field, _, value = line.partition(b":")
            text = value[1:] if value.startswith(b" ") else value
            if field == b"data":
                self._data.append(text.decode("utf-8", "replace"))
            elif field == b"event":
                self._event = text.decode("utf-8", "replace")
        return events

    def close(self) -> list[SseEvent]:
        """Events completed by the end of the stream (a last event without its blank line)."""
        events = self.feed(b"\n\n") if self._tail or self._data else []
        self._tail = b""
        return events
