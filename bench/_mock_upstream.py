"""A fast fake OpenAI upstream for the proxy benchmark: raw asyncio on uvloop, HTTP/1.1 keep-alive.

``POST .../chat/completions`` answers a fixed chat completion (``Content-Length``), or, when the
body asks for ``"stream": true``, an SSE stream of ``--chunks`` content chunks, a usage chunk and
``[DONE]`` (``Transfer-Encoding: chunked``, one write per event, as OpenAI sends them: 50 events
by default). With an ``x-bench-pace-ms: N`` request header the events are paced N ms apart, the
first one too (a model generating). Any other path gets the same JSON. Prints ``{"port": N}`` on
stdout once listening.

    python bench/_mock_upstream.py [--port 0] [--chunks 47]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import suppress
from typing import cast

import uvloop

_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1750000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
        "system_fingerprint": "fp_bench",
    }
).encode()

_JSON_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_bench\r\n"
    b"content-length: %d\r\n\r\n" % len(_COMPLETION)
)
_SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"x-request-id: req_bench\r\ntransfer-encoding: chunked\r\n\r\n"
)


def _sse_events(chunks: int, usage: bool = True) -> list[bytes]:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1750000000,
        "model": "gpt-4o-mini-2024-07-18",
    }
    events = []
    for i in range(chunks):
        delta = {"role": "assistant", "content": "tok"} if i == 0 else {"content": " tok"}
        choice = {"index": 0, "delta": delta, "finish_reason": None}
        events.append({**base, "choices": [choice]})
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage:  # only when the request asked for it (stream_options.include_usage)
        counts = {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks}
        events.append({**base, "choices": [], "usage": counts})
    lines = [b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events]
    lines.append(b"data: [DONE]\n\n")
    return [b"%x\r\n%s\r\n" % (len(line), line) for line in lines] + [b"0\r\n\r\n"]


class MockProtocol(asyncio.Protocol):
    def __init__(self, events: list[bytes], events_without_usage: list[bytes]) -> None:
        self._events = events
        self._events_without_usage = events_without_usage
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._buf[:end].lower()
            length = _content_length(head)
            total = end + 4 + length
            if len(self._buf) < total:
                return
            body, self._buf = self._buf[end + 4 : total], self._buf[total:]
            self._answer(head, body)

    def _answer(self, head: bytes, body: bytes) -> None:
        t = self._transport
        assert t is not None
        compact = body.replace(b" ", b"")
        if b'"stream":true' in compact:
            t.write(_SSE_HEAD)
            usage = b'"include_usage":true' in compact
            events = self._events if usage else self._events_without_usage
            pace = _header_int(head, b"\r\nx-bench-pace-ms:")
            if pace:
                loop = asyncio.get_running_loop()
                for i, event in enumerate(events):
                    loop.call_later((i + 1) * pace / 1000, _write_open, t, event)
                return
            for event in events:  # one write each: separate segments, like a real stream
                t.write(event)
        else:
            t.write(_JSON_HEAD + _COMPLETION)


def _write_open(transport: asyncio.Transport, data: bytes) -> None:
    if not transport.is_closing():  # a cancelled call's connection is gone
        transport.write(data)


def _content_length(head: bytes) -> int:
    return _header_int(head, b"\r\ncontent-length:")


def _header_int(head: bytes, name: bytes) -> int:
    i = head.find(name)
    if i < 0:
        return 0
    j = head.find(b"\r\n", i + 2)
    return int(head[i + len(name) : j if j >= 0 else None])


async def serve(port: int, chunks: int) -> None:
    events, without_usage = _sse_events(chunks), _sse_events(chunks, usage=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: MockProtocol(events, without_usage), "127.0.0.1", port, backlog=1024
    )
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(json.dumps({"port": bound}) + "\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=47)  # + finish, usage, [DONE]: 50
    args = parser.parse_args()
    with suppress(KeyboardInterrupt):
        uvloop.run(serve(args.port, args.chunks))


if __name__ == "__main__":
    main()
