"""``expected_body_size`` answers what mitmproxy's ``expected_http_body_size`` answers, over a
corpus of framings, valid and not; mitmproxy's layers call it once installed."""

from __future__ import annotations

import itertools

import pytest
from mitmproxy import http
from mitmproxy.net.http import http1
from mitmproxy.net.http.http1 import read
from mitmproxy.proxy.layers import http as http_layers

from proxy._mitm_body_size import ORIGINAL, expected_body_size, install

FRAMINGS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"content-length", b"2500")],
    [(b"Content-Length", b"0")],
    [(b"CONTENT-LENGTH", b"12"), (b"content-length", b"12")],  # folded: "12, 12", invalid
    [(b"content-length", b"")],
    [(b"content-length", b"-1")],
    [(b"content-length", b"1e3")],
    [(b"content-length", b"\xff")],
    [(b"transfer-encoding", b"chunked")],
    [(b"Transfer-Encoding", b"gzip, chunked")],
    [(b"transfer-encoding", b"gzip"), (b"transfer-encoding", b"chunked")],
    [(b"transfer-encoding", b"gzip")],
    [(b"transfer-encoding", b"gzip"), (b"content-length", b"10")],
    [(b"transfer-encoding", b"identity")],
    [(b"transfer-encoding", b"chunked"), (b"content-length", b"10")],
    [(b"transfer-encoding", b"")],
    [(b"transfer-encoding", b"br")],
    [(b"transfer-encoding", b"ch\xc3\xbcnked")],
    [(b"content-lengthx", b"5"), (b"xtransfer-encoding", b"chunked")],
]
PADDING = [(b"host", b"api.openai.com"), (b"content-type", b"application/json")]


def _answer(function: object, *args: object) -> object:
    try:
        return function(*args)  # type: ignore[operator]
    except ValueError as exc:
        return ("ValueError", str(exc))


@pytest.mark.parametrize("method", ["POST", "HEAD", "CONNECT", "get"])
def test_the_answer_is_mitmproxys_for_every_framing(method: str) -> None:
    statuses = [None, 100, 101, 200, 204, 206, 304, 404]
    for framing, status in itertools.product(FRAMINGS, statuses):
        request = http.Request.make(method, "https://api.openai.com/v1/x")
        request.headers = http.Headers([*PADDING, *framing])
        response = None
        if status is not None:
            response = http.Response.make(status)
            response.headers = http.Headers([*PADDING, *framing])
        ours, theirs = (
            _answer(expected_body_size, request, response),
            _answer(ORIGINAL, request, response),
        )
        assert ours == theirs, (method, framing, status)


def test_install_points_mitmproxys_layers_at_it() -> None:
    assert read.expected_http_body_size is ORIGINAL  # the original stays where it was defined
    before = (http1.expected_http_body_size, http_layers.expected_http_body_size)  # type: ignore[attr-defined]
    try:
        install()
        assert http1.expected_http_body_size is expected_body_size
        assert http_layers.expected_http_body_size is expected_body_size  # type: ignore[attr-defined]
    finally:
        http1.expected_http_body_size, http_layers.expected_http_body_size = before  # type: ignore[attr-defined]
