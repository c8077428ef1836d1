"""Cheaper, exact copies of mitmproxy's per-call and per-chunk HTTP/1 steps.

A profile of the proxy's event loop under load (bench/proxy_bench.py, reverse, c=16) found these
steps of mitmproxy 12's HTTP/1 path doing work whose answer is known or can be had for less:

- ``Context.fork`` (once per request, and per upstream connection) builds a ``Context``, whose
  ``__init__`` makes a placeholder ``Server`` (a dataclass with a uuid4 id from ``os.urandom``
  and change-tracking ``__setattr__``) that ``fork`` then replaces with the parent's server.
  ``fork`` here builds the same ``Context`` without the placeholder.
- ``Http1Server.send`` asks ``"chunked" in response.headers.get("transfer-encoding", "")``
  for every ``ResponseData`` (every SSE event) and at the end of the response, a scan of
  every header that lower-cases and decodes each name; ``Http1Client.send`` does the same per
  request-body chunk. The answer depends only on the headers' fields, a tuple that every
  change to the headers replaces (``MultiDict`` never mutates it in place) unless the headers
  object itself is replaced. ``send`` here keeps the last answer per connection with the
  headers object and fields tuple it was computed from, and recomputes it when either changed
  (an addon may rewrite the headers between the chunks of a streamed body, in a ``stream``
  callable or in the ``response`` hook, which runs before the end of a streamed response).
- ``connection_close`` (twice per call) looks ``Connection`` up twice through ``Headers``
  (``in``, then ``[]``); here one pass over the raw fields, with mitmproxy's folding.
- ``url.parse_authority`` (once per request on a regular-mode listener: the Host header, with
  an IDNA round trip and a regex per label in ``check.is_valid_host``) is a pure function of
  its arguments; its answers are memoised per distinct (authority, check), bounded. Failures
  are not memoised: they are rare and re-raised by the original, with its own exception.
- h11's ``ChunkedReader`` (once per chunk of a chunked body: each SSE event from upstream)
  takes the previous chunk's CRLF, the size line and the data out of the buffer in three
  steps, validates the size line with a regex and builds an ``h11.Data`` through three
  ``object.__setattr__`` calls. Its subclass here does a chunk that has arrived (in full or
  in part) in one step, parses each distinct size line once (bounded), and leaves every
  other case to h11 with the buffer untouched; mitmproxy's ``make_body_reader`` makes it.
- ``Flow.__init__`` (once per call) sets ``id = str(uuid.uuid4())``: a ``UUID`` built and
  formatted in Python, ~4 us. The copy formats the same 16 ``os.urandom`` bytes with the same
  version and variant bits directly (~1.6 us).
- ``validate.parse_content_length`` (five to seven times per call, from the body-size rule and
  the header validation) is memoised per value, bounded; an invalid value is not memoised.
- ``http1.read._read_headers`` (request and response heads) builds its ``Headers`` through
  ``Headers.__init__`` (a type check per field, an update from an empty mapping); the copy
  sets the parsed fields on a new ``Headers`` as that ``__init__`` would.
- ``validate.validate_headers`` (request and response, the smuggling checks) matches each
  header name with a regex and lower-cases each; the copy matches each distinct name once
  (a bounded set of names that passed) and lower-cases only names of the two lengths sought.
- The Transfer-Encoding and Connection lookups above read the raw fields in one pass, as
  ``Headers.get`` would answer (folded, decoded); a ``Headers`` subclass gets mitmproxy's way.

``install`` puts them in place once (``MitmServer.start``); ``tests/proxy/test_mitm_layers.py``
compares each with its original and fails when the pinned mitmproxy's originals change.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import h11
from h11._readers import ChunkedReader as H11ChunkedReader
from h11._readers import chunk_header_re
from h11._receivebuffer import ReceiveBuffer
from mitmproxy import connection, flow, http
from mitmproxy.connection import ConnectionState
from mitmproxy.net.http import http1, status_codes, url, validate
from mitmproxy.net.http.http1 import read as http1_read
from mitmproxy.proxy import commands, layer
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers import http as http_layers
from mitmproxy.proxy.layers.http import _http1
from mitmproxy.proxy.layers.http._events import (
    HttpEvent,
    RequestData,
    RequestEndOfMessage,
    RequestHeaders,
    RequestProtocolError,
    ResponseData,
    ResponseEndOfMessage,
    ResponseHeaders,
    ResponseProtocolError,
)

ORIGINAL_FORK = Context.fork
ORIGINAL_SERVER_SEND = _http1.Http1Server.send
ORIGINAL_CLIENT_SEND = _http1.Http1Client.send
ORIGINAL_CONNECTION_CLOSE: Callable[[Any, Any], bool] = http1.connection_close
ORIGINAL_CHUNKED_READER = H11ChunkedReader
ORIGINAL_FLOW_INIT = flow.Flow.__init__
ORIGINAL_PARSE_CONTENT_LENGTH = validate.parse_content_length
ORIGINAL_VALIDATE_HEADERS = validate.validate_headers
ORIGINAL_READ_HEADERS: Callable[[Any], http.Headers] = http1_read._read_headers
ORIGINAL_PARSE_AUTHORITY: Callable[[Any, bool], tuple[str, int | None]] = url.parse_authority

_new_context = _new_object = object.__new__
_urandom = os.urandom


def fork(self: Context) -> Context:
    """``Context.fork``: the client, options and server shared, a copy of the layer list,
    set in the order ``Context.__init__`` and ``fork`` set them (the instance's ``__dict__``
    keeps that order)."""
    ret: Context = _new_context(Context)
    ret.client = self.client
    ret.options = self.options
    ret.server = self.server
    ret.layers = self.layers.copy()
    return ret


_TE_MEMO = "_agentops_te_chunked"
_TRANSFER_ENCODING = b"transfer-encoding"


def _folded(headers: http.Headers, name: bytes) -> str | None:
    """``headers.get(name)`` for a lower-case ``name``, in one pass over the raw fields: the
    values of the fields so named (in any case) decoded and joined with ", ", or None."""
    size = len(name)
    values = [v for k, v in headers.fields if len(k) == size and k.lower() == name]
    if not values:
        return None
    return ", ".join(v.decode("utf-8", "surrogateescape") for v in values)


def _chunked(conn: _http1.Http1Connection, message: http.Message) -> bool:
    """``"chunked" in message.headers.get("transfer-encoding", "").lower()``, kept per
    connection for the headers object and fields tuple it was computed from."""
    headers = message.headers
    fields = headers.fields
    state = conn.__dict__
    memo = state.get(_TE_MEMO)
    if memo is not None and memo[0] is headers and memo[1] is fields:
        return memo[2]  # type: ignore[no-any-return]
    if type(headers) is http.Headers:
        te = _folded(headers, _TRANSFER_ENCODING)
        chunked = te is not None and "chunked" in te.lower()
    else:
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    state[_TE_MEMO] = (headers, fields, chunked)
    return chunked


def _body_chunk(conn: _http1.Http1Connection, message: http.Message, data: bytes) -> bytes:
    """A body chunk as sent: framed as an HTTP/1 chunk if the message is chunked."""
    if _chunked(conn, message):
        return b"%x\r\n%s\r\n" % (len(data), data)
    return data


def server_send(self: _http1.Http1Server, event: HttpEvent) -> layer.CommandGenerator[None]:
    """``Http1Server.send`` of mitmproxy 12.3.1, with the chunked test through ``_chunked``."""
    assert event.stream_id == self.stream_id
    if isinstance(event, ResponseHeaders):
        self.response = response = event.response

        if response.is_http2 or response.is_http3:
            response = response.copy()
            # Convert to an HTTP/1 response.
            response.http_version = "HTTP/1.1"
            # not everyone supports empty reason phrases, so we better make up one.
            response.reason = status_codes.RESPONSES.get(response.status_code, "")

        raw = http1.assemble_response_head(response)  # type: ignore[no-untyped-call]
        yield commands.SendData(self.conn, raw)
    elif isinstance(event, ResponseData):
        assert self.response
        if raw := _body_chunk(self, self.response, event.data):
            yield commands.SendData(self.conn, raw)
    elif isinstance(event, ResponseEndOfMessage):
        assert self.request
        assert self.response
        if self.request.method.upper() != "HEAD" and _chunked(self, self.response):
            yield commands.SendData(self.conn, b"0\r\n\r\n")
        yield from self.mark_done(response=True)
    elif isinstance(event, ResponseProtocolError):
        if not (self.conn.state & ConnectionState.CAN_WRITE):
            return
        status = event.code.http_status_code()
        if not self.response and status is not None:
            yield commands.SendData(self.conn, _http1.make_error_response(status, event.message))
        yield commands.CloseConnection(self.conn)
    else:
        raise AssertionError(f"Unexpected event: {event}")


def client_send(self: _http1.Http1Client, event: HttpEvent) -> layer.CommandGenerator[None]:
    """``Http1Client.send`` of mitmproxy 12.3.1, with the chunked test through ``_chunked``."""
    if isinstance(event, RequestProtocolError):
        yield commands.CloseConnection(self.conn)
        return

    if self.stream_id is None:
        assert isinstance(event, RequestHeaders)
        self.stream_id = event.stream_id
        self.request = event.request
    assert self.stream_id == event.stream_id

    if isinstance(event, RequestHeaders):
        request = event.request
        if request.is_http2 or request.is_http3:
            # Convert to an HTTP/1 request.
            request = request.copy()
            request.http_version = "HTTP/1.1"
            if "Host" not in request.headers and request.authority:
                request.headers.insert(0, "Host", request.authority)
            request.authority = ""
            cookie_headers = request.headers.get_all("Cookie")
            if len(cookie_headers) > 1:
                # Only HTTP/2 supports multiple cookie headers, HTTP/1.x does not.
                request.headers["Cookie"] = "; ".join(cookie_headers)
        raw = http1.assemble_request_head(request)  # type: ignore[no-untyped-call]
        yield commands.SendData(self.conn, raw)
    elif isinstance(event, RequestData):
        assert self.request
        if raw := _body_chunk(self, self.request, event.data):
            yield commands.SendData(self.conn, raw)
    elif isinstance(event, RequestEndOfMessage):
        assert self.request
        if _chunked(self, self.request):
            yield commands.SendData(self.conn, b"0\r\n\r\n")
        elif http1.expected_http_body_size(self.request, self.response) == -1:
            yield commands.CloseTcpConnection(self.conn, half_close=True)
        yield from self.mark_done(request=True)
    else:
        raise AssertionError(f"Unexpected event: {event}")


_CONNECTION = b"connection"
_PERSISTENT = ("HTTP/1.1", b"HTTP/1.1", "HTTP/2.0", b"HTTP/2.0")


def connection_close(http_version: str | bytes, headers: http.Headers) -> bool:
    """``http1.connection_close``: whether the message asks for the connection to close
    (RFC 2616 section 8.1), reading ``Connection`` in one pass over the raw fields."""
    if type(headers) is not http.Headers:
        return ORIGINAL_CONNECTION_CLOSE(http_version, headers)
    folded = _folded(headers, _CONNECTION)  # Headers["connection"], if there is one
    if folded is not None:
        tokens = [token.strip() for token in folded.split(",")]
        if "close" in tokens:
            return True
        elif "keep-alive" in tokens:
            return False
    return http_version not in _PERSISTENT


_AUTHORITIES_MAX = 1024
_authorities: dict[tuple[bool, bool, str | bytes], tuple[str, int | None]] = {}


def parse_authority(authority: str | bytes, check: bool) -> tuple[str, int | None]:
    """``url.parse_authority``, memoised per (authority, check) for str and bytes; a failure
    is the original's, raised anew each time."""
    kind = type(authority)
    if kind is not str and kind is not bytes:
        return ORIGINAL_PARSE_AUTHORITY(authority, check)
    key = (kind is bytes, bool(check), authority)
    found = _authorities.get(key)
    if found is None:
        found = ORIGINAL_PARSE_AUTHORITY(authority, check)
        if len(_authorities) >= _AUTHORITIES_MAX:
            _authorities.clear()
        _authorities[key] = found
    return found


_CRLF = b"\r\n"
# Size lines seen (b"5a\r\n" -> 90), each parsed once: SSE events repeat a few sizes. Lines
# come from upstreams, so the memo is bounded: cleared when full.
_CHUNK_SIZES_MAX = 512
_chunk_sizes: dict[bytes, int] = {}
_new_event = object.__new__
_set_data = vars(h11.Data)["data"].__set__
_set_chunk_start = vars(h11.Data)["chunk_start"].__set__
_set_chunk_end = vars(h11.Data)["chunk_end"].__set__


class ChunkedReader(H11ChunkedReader):
    """h11's reader of a chunked body, which mitmproxy asks for each chunk (each SSE event)
    of a chunked body: one step for a chunk that has arrived in full, or a part of one, where
    h11 takes three (the previous chunk's CRLF, the size line, the data) out of the buffer one
    by one. Anything else (a size line or CRLF not all there yet, a malformed one, the last
    chunk, the trailer) is left to h11's own step, with nothing taken from the buffer first."""

    def __call__(self, buf: ReceiveBuffer) -> h11.Data | h11.EndOfMessage | None:
        if self._reading_trailer or type(buf) is not ReceiveBuffer:
            return super().__call__(buf)
        data = buf._data
        pos = 0
        discard = self._bytes_to_discard
        if discard:
            pos = len(discard)
            if data[:pos] != discard:
                return super().__call__(buf)
        size = self._bytes_in_chunk
        chunk_start = size == 0
        if chunk_start:
            end = data.find(_CRLF, pos) + 2
            if end == 1:
                return super().__call__(buf)
            line = bytes(data[pos:end])
            size = _chunk_sizes.get(line, 0)
            if size == 0:
                match = chunk_header_re.fullmatch(line)
                if match is None:
                    return super().__call__(buf)
                size = int(match["chunk_size"], base=16)
                if size == 0:
                    return super().__call__(buf)
                if len(_chunk_sizes) >= _CHUNK_SIZES_MAX:
                    _chunk_sizes.clear()
                _chunk_sizes[line] = size
            pos = end
        if len(data) <= pos:
            return super().__call__(buf)
        out = data[pos : pos + size]
        del data[: pos + len(out)]
        buf._next_line_search = 0
        buf._multiple_lines_search = 0
        size -= len(out)
        self._bytes_in_chunk = size
        self._bytes_to_discard = _CRLF if size == 0 else b""
        # h11.Data(data=out, chunk_start=chunk_start, chunk_end=size == 0), its three slots
        # set as its __init__ sets them, without three calls of object.__setattr__.
        event = _new_event(h11.Data)
        _set_data(event, out)
        _set_chunk_start(event, chunk_start)
        _set_chunk_end(event, size == 0)
        return event


_UUID4_MASK = ((1 << 128) - 1) & ~(0xC000 << 48) & ~(0xF000 << 64)
_UUID4_BITS = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


def uuid4_str(raw: bytes) -> str:
    """``str(uuid.UUID(bytes=raw, version=4))``: the same bits set, the same hex form."""
    h = ((int.from_bytes(raw) & _UUID4_MASK) | _UUID4_BITS).to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def flow_init(
    self: flow.Flow,
    client_conn: connection.Client,
    server_conn: connection.Server,
    live: bool = False,
) -> None:
    """``Flow.__init__`` of mitmproxy 12.3.1: its id is ``str(uuid.uuid4())``, the uuid4 of
    16 bytes of ``os.urandom`` as ``uuid.uuid4`` makes it, formatted without a ``UUID``."""
    self.id = uuid4_str(_urandom(16))
    self.client_conn = client_conn
    self.server_conn = server_conn
    self.live = live
    self.timestamp_created = time.time()

    self.intercepted = False
    self._resume_event = None
    self._backup = None
    self.marked = ""
    self.is_replay = None
    self.metadata = dict()
    self.comment = ""


def read_headers(lines: Iterable[bytes]) -> http.Headers:
    """``http1.read._read_headers`` of mitmproxy 12.3.1 (the header lines of a request or
    response head as read), with the ``Headers`` made from the parsed fields directly: what
    ``Headers(fields)`` makes of (bytes, bytes) tuples and no keywords (it type-checks each
    field and updates from an empty mapping through ``MutableMapping.update``). Lines that
    are not a list of bytes are read by mitmproxy's own."""
    if type(lines) is not list:
        return ORIGINAL_READ_HEADERS(lines)
    ret: list[tuple[bytes, bytes]] = []
    for line in lines:
        if type(line) is not bytes:
            return ORIGINAL_READ_HEADERS(lines)
        if line[0] in b" \t":
            if not ret:
                raise ValueError("Invalid headers")
            # continued header
            ret[-1] = (ret[-1][0], ret[-1][1] + b"\r\n " + line.strip())
        else:
            try:
                name, value = line.split(b":", 1)
                value = value.strip()
                if not name:
                    raise ValueError()
                ret.append((name, value))
            except ValueError:
                raise ValueError(f"Invalid header line: {line!r}")  # noqa: B904 - as mitmproxy
    headers: http.Headers = _new_object(http.Headers)
    headers.fields = tuple(ret)
    return headers


_NAMES_MAX = 1024
_valid_names: set[bytes] = set()  # header names seen to match validate's _valid_header_name
_CONTENT_LENGTH = b"content-length"


def validate_headers(message: http.Message) -> None:
    """``validate.validate_headers`` of mitmproxy 12.3.1 (headers that could smuggle a request
    are refused), with each distinct header name's regex match done once (a bounded set of
    the names that passed) and names only of the two lengths looked at lower-cased."""
    te = []
    cl = []

    for name, value in message.headers.fields:
        if name not in _valid_names:
            if not validate._valid_header_name.match(name):
                raise ValueError(f"invalid header name: {name!r}")
            if len(_valid_names) >= _NAMES_MAX:
                _valid_names.clear()
            _valid_names.add(name)
        if len(name) == 17 or len(name) == 14:  # len(b"transfer-encoding"), len(b"content-length")
            lower = name.lower()
            if lower == _TRANSFER_ENCODING:
                te.append(value)
            elif lower == _CONTENT_LENGTH:
                cl.append(value)

    if te and cl:
        raise ValueError("message with both transfer-encoding and content-length headers")
    elif te:
        if len(te) > 1:
            raise ValueError(f"multiple transfer-encoding headers: {te!r}")
        if not message.is_http11:
            raise ValueError(
                f"unexpected HTTP transfer-encoding {te[0]!r} for {message.http_version}"
            )
        if isinstance(message, http.Response) and (
            100 <= message.status_code <= 199 or message.status_code == 204
        ):
            raise ValueError(
                f"unexpected HTTP transfer-encoding {te[0]!r} for response with status code "
                f"{message.status_code}"
            )
        te_parsed = validate.parse_transfer_encoding(te[0])
        match te_parsed:
            case "chunked" | "compress,chunked" | "deflate,chunked" | "gzip,chunked":
                pass
            case "compress" | "deflate" | "gzip" | "identity":
                if isinstance(message, http.Request):
                    raise ValueError(f"unexpected HTTP transfer-encoding {te_parsed!r} for request")
    elif cl:
        if len(cl) > 1:
            raise ValueError(f"multiple content-length headers: {cl!r}")
        validate.parse_content_length(cl[0])


_LENGTHS_MAX = 1024
_lengths: tuple[dict[str, int], dict[bytes, int]] = ({}, {})


def parse_content_length(value: str | bytes) -> int:
    """``validate.parse_content_length``, memoised per value (str and bytes apart), bounded;
    an invalid value is the original's, raised anew each time."""
    kind = type(value)
    if kind is not str and kind is not bytes:
        return ORIGINAL_PARSE_CONTENT_LENGTH(value)
    memo: dict[Any, int] = _lengths[kind is bytes]
    found = memo.get(value)
    if found is None:
        found = ORIGINAL_PARSE_CONTENT_LENGTH(value)
        if len(memo) >= _LENGTHS_MAX:
            memo.clear()
        memo[value] = found
    return found


def install() -> None:
    """Put the copies in place of mitmproxy's (again: the same)."""
    Context.fork = fork  # type: ignore[method-assign]
    _http1.Http1Server.send = server_send  # type: ignore[method-assign]
    _http1.Http1Client.send = client_send  # type: ignore[method-assign]
    http1.connection_close = connection_close
    url.parse_authority = parse_authority
    _http1.ChunkedReader = ChunkedReader  # type: ignore[attr-defined]
    flow.Flow.__init__ = flow_init  # type: ignore[method-assign]
    validate.parse_content_length = parse_content_length
    http1_read._read_headers = read_headers
    validate.validate_headers = validate_headers
    http_layers.validate_headers = validate_headers  # type: ignore[attr-defined]
