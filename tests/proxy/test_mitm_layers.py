"""The copies in ``proxy._mitm_layers`` do what mitmproxy's originals do: the same forked
context, the same bytes sent for every framing (headers changed mid-body too), the same
``connection_close`` and ``parse_authority`` answers; and the originals are still the ones
copied (a new mitmproxy fails here until the copies are checked against it)."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import h11
import pytest
from h11._readers import ChunkedReader as H11ChunkedReader
from h11._receivebuffer import ReceiveBuffer
from mitmproxy import connection, flow, http
from mitmproxy.coretypes.multidict import MultiDict
from mitmproxy.net import check
from mitmproxy.net.http import http1, url, validate
from mitmproxy.net.http.http1 import read
from mitmproxy.options import Options
from mitmproxy.proxy import commands
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers import http as http_layers
from mitmproxy.proxy.layers.http import _http1
from mitmproxy.proxy.layers.http._events import (
    RequestData,
    RequestEndOfMessage,
    RequestHeaders,
    ResponseData,
    ResponseEndOfMessage,
    ResponseHeaders,
)

from proxy import _mitm_layers
from proxy._mitm_layers import (
    ORIGINAL_CLIENT_SEND,
    ORIGINAL_CONNECTION_CLOSE,
    ORIGINAL_FLOW_INIT,
    ORIGINAL_FORK,
    ORIGINAL_PARSE_AUTHORITY,
    ORIGINAL_PARSE_CONTENT_LENGTH,
    ORIGINAL_READ_HEADERS,
    ORIGINAL_SERVER_SEND,
    ORIGINAL_VALIDATE_HEADERS,
    ChunkedReader,
    client_send,
    connection_close,
    flow_init,
    fork,
    install,
    parse_authority,
    parse_content_length,
    read_headers,
    server_send,
    uuid4_str,
    validate_headers,
)
from tests.harness.mitm import source_digest
from tests.proxy.test_mitm_body_size import FRAMINGS as BODY_SIZE_FRAMINGS

# sha256 (first 16 hex digits) of each original's source in mitmproxy 12.3.1, the version copied.
PINNED: dict[str, tuple[Callable[..., Any], str]] = {
    "Context.__init__": (Context.__init__, "7ee4176662abb9c7"),
    "Context.fork": (ORIGINAL_FORK, "cad9374a0689f10a"),
    "Http1Server.send": (ORIGINAL_SERVER_SEND, "cc218a1337c0f5cf"),
    "Http1Client.send": (ORIGINAL_CLIENT_SEND, "35d961e20d481204"),
    "connection_close": (ORIGINAL_CONNECTION_CLOSE, "d53e499096578d6b"),
    "get_header_tokens": (read.get_header_tokens, "c962962ea8b7c739"),
    "parse_authority": (ORIGINAL_PARSE_AUTHORITY, "d8338265c05d8491"),
    "is_valid_host": (check.is_valid_host, "76efad3bee98e9b5"),
    "Flow.__init__": (ORIGINAL_FLOW_INIT, "7c7b602cfb75bf18"),
    "parse_content_length": (ORIGINAL_PARSE_CONTENT_LENGTH, "27b46f4337ba25c6"),
    "uuid.uuid4": (uuid.uuid4, "ae640e57bb3d3d9d"),
    "validate_headers": (ORIGINAL_VALIDATE_HEADERS, "e7647a94704363e7"),
    "_read_headers": (ORIGINAL_READ_HEADERS, "66807318a8b7a7b7"),
    "Headers.__init__": (http.Headers.__init__, "4d53696a5f9f6670"),
    "MultiDict.__init__": (MultiDict.__init__, "faf0668e22579e8b"),
    # h11 0.16.0, mitmproxy's: the chunked reader and the buffer steps it takes.
    "h11 ChunkedReader.__call__": (H11ChunkedReader.__call__, "2618d847a89a1505"),
    "h11 ChunkedReader.__init__": (H11ChunkedReader.__init__, "232ef6fe23fd20ab"),
    "h11 ReceiveBuffer._extract": (ReceiveBuffer._extract, "9f46b67fb9e57164"),
    "h11 maybe_extract_at_most": (ReceiveBuffer.maybe_extract_at_most, "a283b372f1fb7393"),
    "h11 maybe_extract_next_line": (ReceiveBuffer.maybe_extract_next_line, "9168fb542344ec1a"),
    "h11 Data.__init__": (h11.Data.__init__, "3525dbd8d1d16c0d"),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_original_is_the_one_copied(name: str) -> None:
    function, digest = PINNED[name]
    assert source_digest(function)[:16] == digest, (
        f"mitmproxy's {name} changed: check proxy/_mitm_layers.py against it, then re-pin"
    )


def _client() -> connection.Client:
    return connection.Client(peername=("127.0.0.1", 5000), sockname=("127.0.0.1", 8081))


def test_fork_is_mitmproxys_fork_without_the_placeholder_server() -> None:
    parent = Context(_client(), Options())
    parent.server = connection.Server(address=("example.com", 443))
    parent.layers = [object(), object()]  # type: ignore[list-item]
    ours, theirs = fork(parent), ORIGINAL_FORK(parent)
    assert type(ours) is type(theirs) is Context
    assert list(vars(ours)) == list(vars(theirs))  # same attributes, set in the same order
    for name in ("client", "options", "server"):
        assert getattr(ours, name) is getattr(parent, name) is getattr(theirs, name)
    assert ours.layers == theirs.layers == parent.layers
    assert ours.layers is not parent.layers
    assert repr(ours) == repr(theirs)


# The body-size rule's framings, and a few more of Transfer-Encoding alone.
FRAMINGS = [
    *BODY_SIZE_FRAMINGS,
    [(b"Transfer-Encoding", b"CHUNKED")],
    [(b"transfer-encodingx", b"chunked")],
]
PADDING = [(b"content-type", b"text/event-stream"), (b"x-request-id", b"abc")]

# What an addon may do to the headers between two body chunks.
Mutation = Callable[[http.Message], None]


def _no_change(message: http.Message) -> None:
    pass


def _drop_te(message: http.Message) -> None:
    message.headers.pop("transfer-encoding", None)


def _set_chunked(message: http.Message) -> None:
    message.headers["Transfer-Encoding"] = "chunked"


def _new_headers(message: http.Message) -> None:
    message.headers = http.Headers([*PADDING, (b"transfer-encoding", b"chunked")])


def _same_fields_new_object(message: http.Message) -> None:
    message.headers = http.Headers(message.headers.fields)


MUTATIONS: list[Mutation] = [
    _no_change,
    _drop_te,
    _set_chunked,
    _new_headers,
    _same_fields_new_object,
]


def _commands(generator: Iterator[commands.Command]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    try:
        for command in generator:
            data = command.data if isinstance(command, commands.SendData) else None
            out.append((type(command).__name__, data))
    except ValueError as exc:  # an invalid framing, asked by the body-size rule
        out.append((type(exc).__name__, str(exc)))
    return out


def _serve(send: Any, method: str, framing: list[tuple[bytes, bytes]], mutate: Mutation) -> Any:
    """The response side: headers, two chunks with a change of headers between, the end."""
    server = _http1.Http1Server(Context(_client(), Options()))
    server.request = http.Request.make(method, "http://example.com/v1/chat")
    response = http.Response.make(200)
    response.headers = http.Headers([*PADDING, *framing])
    sent = [_commands(send(server, ResponseHeaders(1, response, end_stream=False)))]
    sent.append(_commands(send(server, ResponseData(1, b"data: one\n\n"))))
    mutate(response)
    sent.append(_commands(send(server, ResponseData(1, b"data: two\n\n"))))
    sent.append(_commands(send(server, ResponseData(1, b""))))
    sent.append(_commands(send(server, ResponseEndOfMessage(1))))
    return sent, server.response_done


def _request(send: Any, framing: list[tuple[bytes, bytes]], mutate: Mutation) -> Any:
    """The request side: headers, two chunks with a change of headers between, the end."""
    context = Context(_client(), Options())
    context.server = connection.Server(address=("example.com", 80))
    client = _http1.Http1Client(context)
    request = http.Request.make("POST", "http://example.com/v1/chat")
    request.headers = http.Headers([*PADDING, *framing])
    sent = [_commands(send(client, RequestHeaders(1, request, end_stream=False)))]
    sent.append(_commands(send(client, RequestData(1, b"part one"))))
    mutate(request)
    sent.append(_commands(send(client, RequestData(1, b"part two"))))
    sent.append(_commands(send(client, RequestEndOfMessage(1))))
    return sent, client.request_done


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda m: m.__name__)
def test_http1_server_sends_what_mitmproxy_sends(mutate: Mutation) -> None:
    for method, framing in itertools.product(["GET", "HEAD"], FRAMINGS):
        ours = _serve(server_send, method, framing, mutate)
        assert ours == _serve(ORIGINAL_SERVER_SEND, method, framing, mutate), (method, framing)


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda m: m.__name__)
def test_http1_client_sends_what_mitmproxy_sends(mutate: Mutation) -> None:
    for framing in FRAMINGS:
        assert _request(client_send, framing, mutate) == _request(
            ORIGINAL_CLIENT_SEND, framing, mutate
        ), framing


def test_a_chunked_response_is_sent_chunked() -> None:
    sent, done = _serve(server_send, "GET", [(b"transfer-encoding", b"chunked")], _no_change)
    assert sent[1] == [("SendData", b"b\r\ndata: one\n\n\r\n")]
    assert sent[-1][0] == ("SendData", b"0\r\n\r\n")
    assert done


CONNECTION_HEADERS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"Connection", b"close")],
    [(b"connection", b"keep-alive")],
    [(b"CONNECTION", b"Keep-Alive")],
    [(b"connection", b"keep-alive, close")],
    [(b"connection", b"upgrade"), (b"Connection", b" close ")],
    [(b"connection", b"Close")],
    [(b"connection", b"")],
    [(b"connection", b"\xff, close")],
    [(b"connectionx", b"close"), (b"xconnection", b"close")],
]
VERSIONS: list[str | bytes] = [
    "HTTP/1.1",
    b"HTTP/1.1",
    "HTTP/1.0",
    b"HTTP/1.0",
    "HTTP/2.0",
    "HTTP/0.9",
]


def test_connection_close_answers_what_mitmproxy_answers() -> None:
    for version, fields in itertools.product(VERSIONS, CONNECTION_HEADERS):
        headers = http.Headers([(b"host", b"example.com"), *fields])
        assert connection_close(version, headers) == ORIGINAL_CONNECTION_CLOSE(version, headers), (
            version,
            fields,
        )


def test_connection_close_of_another_mapping_is_mitmproxys() -> None:
    for version in VERSIONS:
        headers = {"connection": "close"}
        assert connection_close(version, headers) is ORIGINAL_CONNECTION_CLOSE(version, headers)  # type: ignore[arg-type]


AUTHORITIES: list[str | bytes] = [
    "api.openai.com",
    "127.0.0.1:8081",
    "localhost:0",
    "LOCALHOST:65535",
    "example.com:65536",
    "example.com:",
    "example.com:-1",
    "[::1]:443",
    "[::1]",
    "::1",
    "bücher.de",
    "xn--bcher-kva.de:80",
    "under_score.example",
    "a" * 64 + ".com",
    "ex ample.com",
    "",
    ":80",
    "example.com.",
    "..",
]
AUTHORITIES += [a.encode("utf-8") for a in list(AUTHORITIES) if isinstance(a, str)]
AUTHORITIES += [b"\xff.example", b"b\xc3\xbccher.de:8080"]


def _answer(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except ValueError as exc:
        return (type(exc).__name__, str(exc))


def test_parse_authority_answers_what_mitmproxy_answers_each_time() -> None:
    for authority, check_ in itertools.product(AUTHORITIES, [True, False]):
        theirs = _answer(ORIGINAL_PARSE_AUTHORITY, authority, check_)
        for _ in range(2):  # the second answer is the memoised one
            assert _answer(parse_authority, authority, check_) == theirs, (authority, check_)


def test_parse_authority_memo_is_bounded() -> None:
    for i in range(_mitm_layers._AUTHORITIES_MAX + 10):
        assert parse_authority(f"host{i}.example:{i}", True) == (f"host{i}.example", i)
    assert len(_mitm_layers._authorities) <= _mitm_layers._AUTHORITIES_MAX


def test_install_points_mitmproxy_at_the_copies() -> None:
    before = (
        Context.fork,
        _http1.Http1Server.send,
        _http1.Http1Client.send,
        http1.connection_close,
        url.parse_authority,
        _http1.ChunkedReader,  # type: ignore[attr-defined]
        flow.Flow.__init__,
        validate.parse_content_length,
        read._read_headers,
        validate.validate_headers,
        http_layers.validate_headers,  # type: ignore[attr-defined]
    )
    try:
        install()
        install()
        assert Context.fork is fork
        assert _http1.Http1Server.send is server_send
        assert _http1.Http1Client.send is client_send
        assert http1.connection_close is connection_close
        assert url.parse_authority is parse_authority
        assert _http1.make_body_reader(None).__class__ is ChunkedReader
        assert flow.Flow.__init__ is flow_init
        assert validate.parse_content_length is parse_content_length
        assert read._read_headers is read_headers
        assert validate.validate_headers is validate_headers
        assert http_layers.validate_headers is validate_headers  # type: ignore[attr-defined]
        assert read.connection_close is ORIGINAL_CONNECTION_CLOSE  # defined where it was
    finally:
        (
            Context.fork,  # type: ignore[method-assign]
            _http1.Http1Server.send,  # type: ignore[method-assign]
            _http1.Http1Client.send,  # type: ignore[method-assign]
            http1.connection_close,
            url.parse_authority,
            _http1.ChunkedReader,  # type: ignore[attr-defined]
            flow.Flow.__init__,  # type: ignore[method-assign]
            validate.parse_content_length,
            read._read_headers,
            validate.validate_headers,
            http_layers.validate_headers,  # type: ignore[attr-defined]
        ) = before


def _chunked_body(rng: random.Random) -> bytes:
    body = bytearray()
    for _ in range(rng.randint(0, 6)):
        size = rng.choice([1, 2, 9, 16, 255, rng.randint(1, 400)])
        digits = rng.choice(["%x", "%X", "%04x"]) % size
        ext = rng.choice([b"", b"", b";name=value", b"  ", b"\t", b";x"])
        body += digits.encode() + ext + b"\r\n" + bytes(rng.randrange(256) for _ in range(size))
        body += b"\r\n"
    body += b"0\r\n" + rng.choice([b"", b"X-Trailer: 1\r\n"]) + b"\r\n"
    if rng.random() < 0.3:  # a corrupt byte somewhere: a malformed size line, CRLF or trailer
        i = rng.randrange(len(body))
        body[i] = rng.choice(b"\r\n;xZ 0\x00")
    return bytes(body)


ReaderState = tuple[Any, ...]


def _read_all(reader: Any, pieces: list[bytes]) -> list[ReaderState]:
    """mitmproxy's read loop: each piece appended to the buffer, then the reader asked until it
    has nothing more; what each ask returned, and the reader's and buffer's state after it."""
    buf = ReceiveBuffer()
    seen: list[ReaderState] = []
    for piece in pieces:
        buf += piece
        while True:
            try:
                event = reader(buf)
            except h11.ProtocolError as exc:
                seen.append((type(exc).__name__, str(exc)))
                return seen
            state = (
                bytes(buf),
                buf._next_line_search,
                buf._multiple_lines_search,
                reader._bytes_in_chunk,
                reader._bytes_to_discard,
                reader._reading_trailer,
            )
            if event is None:
                seen.append(("None", state))
                break
            fields = tuple((k, getattr(event, k)) for k in event.__slots__)
            seen.append((type(event).__name__, type(getattr(event, "data", b"")), fields, state))
            if isinstance(event, h11.EndOfMessage):
                return seen
    return seen


def test_chunked_reader_reads_what_h11_reads_however_the_body_arrives() -> None:
    rng = random.Random(19)
    for _ in range(3000):
        body = _chunked_body(rng)
        cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(0, 12))))
        pieces = [body[i:j] for i, j in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        ours = _read_all(ChunkedReader(), pieces)
        assert ours == _read_all(H11ChunkedReader(), pieces), (body, cuts)


def test_chunk_size_memo_is_bounded() -> None:
    reader, buf = ChunkedReader(), ReceiveBuffer()
    for size in range(1, _mitm_layers._CHUNK_SIZES_MAX + 10):
        buf += b"%x;n=%d\r\n%s\r\n" % (size, size, b"x" * size)
        event = reader(buf)
        assert isinstance(event, h11.Data)
        assert event.data == b"x" * size
    assert len(_mitm_layers._chunk_sizes) <= _mitm_layers._CHUNK_SIZES_MAX


def test_a_flow_is_made_as_mitmproxy_makes_it_with_a_uuid4_id() -> None:
    client, server = _client(), connection.Server(address=("example.com", 443))
    ours, theirs = http.HTTPFlow(client, server, True), http.HTTPFlow(client, server, True)
    flow_init(ours, client, server, True)
    ORIGINAL_FLOW_INIT(theirs, client, server, True)
    assert list(vars(ours)) == list(vars(theirs))
    mine, its = vars(ours), vars(theirs)
    for name in mine:
        if name not in ("id", "timestamp_created"):
            assert mine[name] == its[name], name
    assert str(uuid.UUID(ours.id)) == ours.id
    assert uuid.UUID(ours.id).version == 4
    assert ours.id != theirs.id


def test_uuid4_str_is_str_of_uuid4() -> None:
    rng = random.Random(4)
    samples = [bytes(16), b"\xff" * 16, *(rng.randbytes(16) for _ in range(2000))]
    for raw in samples:
        assert uuid4_str(raw) == str(uuid.UUID(bytes=raw, version=4)), raw


LENGTHS: list[str | bytes] = ["0", "12", "2514", "012", "-1", "+1", "1e3", "", " 12", "12 ", "12\n"]
LENGTHS += ["\u0661\u0662", "1" * 30, "0x10"]
LENGTHS += [v.encode() for v in list(LENGTHS) if isinstance(v, str)]


def test_parse_content_length_answers_what_mitmproxy_answers_each_time() -> None:
    for value in LENGTHS:
        theirs = _answer(ORIGINAL_PARSE_CONTENT_LENGTH, value)
        for _ in range(2):  # the second answer is the memoised one
            assert _answer(parse_content_length, value) == theirs, value
    assert _answer(parse_content_length, bytearray(b"12")) == 12


def test_parse_content_length_memo_is_bounded() -> None:
    for i in range(_mitm_layers._LENGTHS_MAX + 10):
        assert parse_content_length(str(i)) == i
    assert len(_mitm_layers._lengths[0]) <= _mitm_layers._LENGTHS_MAX


HEADER_LINES: list[list[bytes]] = [
    [],
    [b"Host: example.com", b"Content-Length: 12"],
    [b"host:example.com", b"X-Empty:", b"X-Spaces:   a b  "],
    [b"X-Colons: a:b:c", b"x-case: One", b"X-CASE: two"],
    [b"X-Folded: one", b" two", b"\tthree"],
    [b" leading continuation"],
    [b"no colon here"],
    [b": no name"],
    [b"X-Bytes: \xff\xfe", b"Content-Type: text/event-stream"],
]


def _headers_answer(function: Callable[..., Any], lines: Any) -> Any:
    try:
        headers = function(lines)
    except (ValueError, TypeError) as exc:
        return (type(exc).__name__, str(exc), type(exc.__context__).__name__)
    return (type(headers), vars(headers), headers.fields, bytes(headers))


def test_read_headers_reads_what_mitmproxy_reads() -> None:
    for lines in HEADER_LINES:
        assert _headers_answer(read_headers, lines) == _headers_answer(ORIGINAL_READ_HEADERS, lines)
    # an iterator, a line that is not bytes, a tuple: mitmproxy's own reading
    theirs = _headers_answer(ORIGINAL_READ_HEADERS, iter(HEADER_LINES[4]))
    assert _headers_answer(read_headers, iter(HEADER_LINES[4])) == theirs
    for other in ([b"Host: x", bytearray(b"Accept: y")], (b"Host: x",)):
        assert _headers_answer(read_headers, other) == _headers_answer(ORIGINAL_READ_HEADERS, other)
    assert read_headers([b"Host: example.com"]) == http.Headers([(b"Host", b"example.com")])


VALIDATED: list[list[tuple[bytes, bytes]]] = [
    *BODY_SIZE_FRAMINGS,
    [(b"transfer-encoding", b"chunked"), (b"transfer-encoding", b"chunked")],
    [(b"Transfer-Encoding", b"identity")],
    [(b"content-length", b"5"), (b"content-length", b"5")],
    [(b"Host Name", b"x")],
    [(b"", b"x")],
    [(b"X-OK!#$%&'*+-.^_`|~09az", b"x")],
    [(b"Host\n", b"x")],
    [(b"ho\xffst", b"x")],
    [(b"content-length", b"5"), (b"x:y", b"z")],
]


def test_validate_headers_answers_what_mitmproxy_answers_each_time() -> None:
    messages: list[http.Message] = []
    for version, status in itertools.product(
        ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"], [None, 101, 200, 204]
    ):
        for fields in VALIDATED:
            message: http.Message
            if status is None:
                message = http.Request.make("POST", "http://example.com/")
            else:
                message = http.Response.make(status)
            message.http_version = version
            message.headers = http.Headers([*PADDING, *fields])
            messages.append(message)
    for message in messages:
        theirs = _answer(ORIGINAL_VALIDATE_HEADERS, message)
        for _ in range(2):  # the second time with the names already seen
            assert _answer(validate_headers, message) == theirs, (message, message.headers)


def test_validated_names_are_bounded() -> None:
    for i in range(_mitm_layers._NAMES_MAX + 10):
        message = http.Request.make("GET", "http://example.com/", headers=[(b"x-h%d" % i, b"1")])
        validate_headers(message)
    assert len(_mitm_layers._valid_names) <= _mitm_layers._NAMES_MAX
