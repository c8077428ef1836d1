"""AWS event-stream framing (``application/vnd.amazon.eventstream``), used by Bedrock streams.

A frame is: total length (u32), headers length (u32), CRC32 of those 8 bytes, headers, payload,
CRC32 of everything before it. All integers are big-endian. The decoder is incremental: it keeps
only the incomplete tail frame, so a stream split at any byte boundary decodes identically.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_PRELUDE = 12
_MAX_FRAME = 16 * 1024 * 1024  # the AWS limit; anything larger means we lost sync

# Fixed sizes of header value types; None marks the length-prefixed ones (bytes, string).
_FIXED_SIZES: dict[int, int | None] = {
    0: 0,
    1: 0,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: None,
    7: None,
    8: 8,
    9: 16,
}


class EventStreamError(ValueError):
    """The bytes are not a valid event stream (bad length or checksum)."""


@dataclass(frozen=True, slots=True)
class Frame:
    headers: dict[str, str]  # string-typed headers only; others are skipped
    payload: bytes


def encode_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One frame with string headers (all Bedrock uses)."""
    raw = b"".join(
        bytes([len(name.encode())])
        + name.encode()
        + b"\x07"
        + struct.pack(">H", len(value.encode()))
        + value.encode()
        for name, value in headers.items()
    )
    total = _PRELUDE + len(raw) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + raw + payload
    return head + struct.pack(">I", zlib.crc32(head))


def event_frame(event_type: str, payload: bytes) -> bytes:
    return encode_frame(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def exception_frame(exception_type: str, payload: bytes) -> bytes:
    return encode_frame(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        payload,
    )


class FrameDecoder:
    """Feed bytes split anywhere; get back the frames completed by them."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buf += chunk
        frames: list[Frame] = []
        while len(self._buf) >= _PRELUDE:
            total, headers_len, prelude_crc = struct.unpack_from(">III", self._buf)
            if zlib.crc32(self._buf[:8]) != prelude_crc:
                raise EventStreamError("prelude checksum mismatch")
            if total > _MAX_FRAME or total < _PRELUDE + headers_len + 4:
                raise EventStreamError(f"implausible frame length {total}")
            if len(self._buf) < total:
                break
            frame = bytes(self._buf[:total])
            del self._buf[:total]
            frames.append(_parse_frame(frame, headers_len))
        return frames

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still held."""
        return len(self._buf)


def _parse_frame(frame: bytes, headers_len: int) -> Frame:
    (message_crc,) = struct.unpack_from(">I", frame, len(frame) - 4)
    if zlib.crc32(frame[:-4]) != message_crc:
        raise EventStreamError("message checksum mismatch")
    end = _PRELUDE + headers_len
    return Frame(headers=_parse_headers(frame[_PRELUDE:end]), payload=frame[end:-4])


def _parse_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    pos = 0
    while pos < len(raw):
        name_len = raw[pos]
        name = raw[pos + 1 : pos + 1 + name_len].decode()
        pos += 1 + name_len
        kind = raw[pos]
        pos += 1
        if kind not in _FIXED_SIZES:
            raise EventStreamError(f"unknown header type {kind}")
        size = _FIXED_SIZES[kind]
        if size is None:
            (size,) = struct.unpack_from(">H", raw, pos)
            pos += 2
            if kind == 7:
                headers[name] = raw[pos : pos + size].decode()
        pos += size
    return headers
