"""CPU per call of mitmproxy's HTTP/1 steps and of their copies in ``proxy/_mitm_layers.py``.

Each step is run on the inputs of a metered chat call (the benchmark's ~2.5 KB request, its
upstream's JSON and SSE response heads) and timed with ``time.process_time`` (CPU of this
process, best of ``--rounds``), original vs copy:

    .venv/bin/python -O bench/mitm_layers_bench.py [--rounds 5] [--n 20000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import h11
from h11._readers import ChunkedReader as H11ChunkedReader
from h11._receivebuffer import ReceiveBuffer
from mitmproxy import connection, http
from mitmproxy.options import Options
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers.http import _http1
from mitmproxy.proxy.layers.http._events import ResponseData

from proxy import _mitm_layers as layers

REQUEST_HEADERS = [
    (b"Host", b"127.0.0.1:8081"),
    (b"Accept-Encoding", b"gzip, deflate"),
    (b"Accept", b"application/json"),
    (b"Content-Type", b"application/json"),
    (b"Authorization", b"Bearer sk-bench-000000000000000000000000"),
    (b"User-Agent", b"OpenAI/Python 1.54.0"),
    (b"X-Stainless-Lang", b"python"),
    (b"Content-Length", b"2514"),
]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-request-id", b"req_0123456789"),
    (b"openai-processing-ms", b"12"),
    (b"transfer-encoding", b"chunked"),
]
EVENT = (
    b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":"hi"}}]}\n\n'
)


def _cpu_us(step: Callable[[], object], n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            step()
        best = min(best, time.process_time() - start)
    return best / n * 1e6


def _cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    client = connection.Client(peername=("127.0.0.1", 5000), sockname=("127.0.0.1", 8081))
    context = Context(client, Options())
    context.layers = [object(), object(), object()]  # type: ignore[list-item]

    def sse_server(send: Callable[..., object]) -> Callable[[], object]:
        server = _http1.Http1Server(Context(client, Options()))
        server.response = http.Response.make(200)
        server.response.headers = http.Headers(SSE_HEADERS)
        event = ResponseData(1, EVENT)
        return lambda: list(send(server, event))  # type: ignore[call-overload]

    def read_stream(reader_type: type[H11ChunkedReader]) -> Callable[[], object]:
        # The upstream's 50-event SSE body as it arrives at once, read as mitmproxy reads it.
        chunk = b"%x\r\n%s\r\n" % (len(EVENT), EVENT)
        body = chunk * 50 + b"0\r\n\r\n"

        def step() -> object:
            reader, buf = reader_type(), ReceiveBuffer()
            buf += body
            while not isinstance(event := reader(buf), h11.EndOfMessage):
                bytes(event.data)  # type: ignore[union-attr]
            return event

        return step

    server = connection.Server(address=("api.openai.com", 443))
    flow_ = http.HTTPFlow(client, server)
    request_lines = [b"%s: %s" % field for field in REQUEST_HEADERS]
    sse_lines = [b"%s: %s" % field for field in SSE_HEADERS]
    request_headers = http.Headers(REQUEST_HEADERS)
    request = http.Request.make("POST", "http://127.0.0.1:8081/openai/v1/chat/completions")
    request.headers = request_headers
    response = http.Response.make(200)
    response.headers = http.Headers(SSE_HEADERS)
    response_headers = http.Headers(SSE_HEADERS)
    return {
        "Context.fork": (lambda: layers.ORIGINAL_FORK(context), lambda: layers.fork(context)),
        "Http1Server.send(ResponseData), SSE event": (
            sse_server(layers.ORIGINAL_SERVER_SEND),
            sse_server(layers.server_send),
        ),
        "ChunkedReader, a 50-event SSE body (per event)": (
            read_stream(layers.ORIGINAL_CHUNKED_READER),
            read_stream(layers.ChunkedReader),
        ),
        "connection_close x2 (request, response)": (
            lambda: (
                layers.ORIGINAL_CONNECTION_CLOSE("HTTP/1.1", request_headers),
                layers.ORIGINAL_CONNECTION_CLOSE("HTTP/1.1", response_headers),
            ),
            lambda: (
                layers.connection_close("HTTP/1.1", request_headers),
                layers.connection_close("HTTP/1.1", response_headers),
            ),
        ),
        "Flow.__init__ (HTTPFlow's id)": (
            lambda: layers.ORIGINAL_FLOW_INIT(flow_, client, server),
            lambda: layers.flow_init(flow_, client, server),
        ),
        "parse_content_length x6 (a call's asks)": (
            lambda: [layers.ORIGINAL_PARSE_CONTENT_LENGTH("2514") for _ in range(6)],
            lambda: [layers.parse_content_length("2514") for _ in range(6)],
        ),
        "_read_headers (request + response heads)": (
            lambda: (
                layers.ORIGINAL_READ_HEADERS(request_lines),
                layers.ORIGINAL_READ_HEADERS(sse_lines),
            ),
            lambda: (layers.read_headers(request_lines), layers.read_headers(sse_lines)),
        ),
        "validate_headers (request + response)": (
            lambda: [layers.ORIGINAL_VALIDATE_HEADERS(m) for m in (request, response)],
            lambda: [layers.validate_headers(m) for m in (request, response)],  # type: ignore[func-returns-value]
        ),
        "parse_authority(Host header)": (
            lambda: layers.ORIGINAL_PARSE_AUTHORITY("127.0.0.1:8081", True),
            lambda: layers.parse_authority("127.0.0.1:8081", True),
        ),
        "parse_authority(api.openai.com)": (
            lambda: layers.ORIGINAL_PARSE_AUTHORITY("api.openai.com", True),
            lambda: layers.parse_authority("api.openai.com", True),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    print(f"{'step':<45} {'original µs':>12} {'copy µs':>9} {'saved µs':>9}")
    for name, (original, copy) in _cases().items():
        n, per = (args.n // 50, 50) if "50-event" in name else (args.n, 1)
        before = _cpu_us(original, n, args.rounds) / per
        after = _cpu_us(copy, n, args.rounds) / per
        print(f"{name:<45} {before:>12.3f} {after:>9.3f} {before - after:>9.3f}")


if __name__ == "__main__":
    main()
