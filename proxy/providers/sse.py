"""Incremental server-sent-events parsing for stream meters.

Bytes may be split anywhere, even inside a UTF-8 sequence or a CRLF: only the incomplete tail
line is kept between feeds. Lines end in LF or CRLF (every provider we meter uses one of them).
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

    def feed(self, chunk: bytes) -> list[SseEvent]:
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
