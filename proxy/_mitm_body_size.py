"""mitmproxy's HTTP/1 body-size rule, with the two header lookups done in one pass.

mitmproxy asks ``expected_http_body_size(request, response)`` (RFC 7230 section 3.3.3) five to
seven times per proxied call: its HTTP/1 reader and writer on both connections, and its
``stream_large_bodies`` check at request and response headers. Each ask looks up
``Transfer-Encoding`` and ``Content-Length`` with ``Headers.get``, a scan of every header
field that lower-cases and decodes each name and value: ~5 µs per ask on a chat call's
headers. ``expected_body_size`` is the same function, its rules copied line for line from
mitmproxy 12's ``mitmproxy.net.http.http1.read``, reading both headers in one pass over the
raw fields; ``install`` points mitmproxy's HTTP layers at it (``tests/proxy`` compares it with
the original over a corpus of header sets, and fails when the pinned mitmproxy changes it).
"""

from __future__ import annotations

from mitmproxy import http
from mitmproxy.net.http import http1, validate
from mitmproxy.proxy.layers import http as http_layers

ORIGINAL = http1.expected_http_body_size

_TE, _CL = b"transfer-encoding", b"content-length"


def expected_body_size(request: http.Request, response: http.Response | None = None) -> int | None:
    """The expected body length: an int >= 0 if known in advance, None if unknown (chunked),
    -1 to read until the end of the stream. Raises ValueError on an invalid
    Content-Length or Transfer-Encoding."""
    if not response:
        headers = request.headers
    else:
        headers = response.headers
        # 1. A response to HEAD, or with a 1xx, 204 or 304 status, has no body.
        if request.method.upper() == "HEAD":
            return 0
        if 100 <= response.status_code <= 199:
            return 0
        if response.status_code in (204, 304):
            return 0
        # 2. A 2xx response to CONNECT becomes a tunnel.
        if 200 <= response.status_code <= 299 and request.method.upper() == "CONNECT":
            return 0
    te: list[bytes] | None = None
    cl: list[bytes] | None = None
    for name, value in headers.fields:
        if len(name) == 17 or len(name) == 14:  # len(_TE), len(_CL): skip the rest cheaply
            lower = name.lower()
            if lower == _TE:
                te = [value] if te is None else [*te, value]
            elif lower == _CL:
                cl = [value] if cl is None else [*cl, value]
    # 3. Transfer-Encoding: chunked last -> until the last chunk; otherwise until EOF.
    if te is not None and (te_str := _folded(te)):
        match validate.parse_transfer_encoding(te_str):
            case "chunked" | "compress,chunked" | "deflate,chunked" | "gzip,chunked":
                return None
            case "compress" | "deflate" | "gzip" | "identity" as coding:
                if response:
                    return -1
                # Valid for responses only; a request keeps mitmproxy's lenience.
                if coding == "identity" or cl is not None:
                    pass  # Content-Length or 0
                else:
                    return -1
    # 4./5. A valid Content-Length gives the length.
    if cl is not None and (cl_str := _folded(cl)):
        return validate.parse_content_length(cl_str)
    # 6. A request with neither has no body; 7. a response is read until EOF.
    if not response:
        return 0
    return -1


def _folded(values: list[bytes]) -> str:
    """What ``Headers.get`` returns for a repeated header: the values joined by ", "."""
    if len(values) == 1:
        return values[0].decode("utf-8", "surrogateescape")
    return ", ".join(v.decode("utf-8", "surrogateescape") for v in values)


def install() -> None:
    """Point mitmproxy's HTTP layers (the ``http1`` package attribute its HTTP/1 connections
    call, and the name its HTTP stream imported) at ``expected_body_size``."""
    http1.expected_http_body_size = expected_body_size
    http_layers.expected_http_body_size = expected_body_size  # type: ignore[attr-defined]
