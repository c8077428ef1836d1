"""A chunk that is one whole ``data: x`` event is read without the SSE line walk (and, by the
OpenAI meters, handed to orjson as bytes): fed one event per chunk, as providers send them,
every stream must give exactly the facts, text and first-token moments it gives fed byte by
byte, where every chunk takes the walk."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.providers import OpenAIAdapter, ResponseFacts
from proxy.providers.base import StreamMeter
from proxy.providers.sse import SseEvent, SseParser, is_one_data_event
from tests.proxy.providers.samples import Sample
from tests.proxy.providers.test_eventstream_splits import STREAMS

SSE_STREAMS = [name for name in STREAMS if name not in ("gemini_array", "bedrock_stream")]

_ADAPTER = OpenAIAdapter()


def _chunk(value: object) -> bytes:
    return b"data: " + json.dumps(value).encode() + b"\n\n"


def _delta(content: str, index: int = 0, **extra: object) -> bytes:
    chunk = {"model": "gpt-4o", "choices": [{"index": index, "delta": {"content": content}}]}
    return _chunk(chunk | extra)


# Event chunks of OpenAI chat streams, the odd ones included.
CHAT_STREAMS: dict[str, list[bytes]] = {
    "plain": [_delta("Hel"), _delta("lo"), b"data: [DONE]\n\n"],
    "usage": [
        _delta("a", service_tier="default"),
        _chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        _chunk({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}),
        b"data: [DONE]\n\n",
    ],
    "n2_interleaved": [_delta("x", 1), _delta("y", 0), _delta("z", 1), b"data: [DONE]\n\n"],
    "invalid_utf8": [b'data: {"choices":[{"delta":{"content":"\xff\xfe"}}]}\n\n', _delta("ok")],
    "nan_and_big_int": [b'data: {"choices":[],"x":NaN,"n":123456789012345678901234567890}\n\n'],
    "not_json": [b"data: {oops\n\n", _delta("after")],
    "not_an_object": [b"data: [1, 2]\n\n", _delta("after")],
    "done_with_tail": [_delta("a"), b"data: [DONE] trailing\n\n"],
    "error_midstream": [_delta("a"), _chunk({"error": {"type": "server_error", "message": "m"}})],
    "cr_before_lf": [b'data: {"choices":[{"delta":{"content":"a"}}]}\r\n\n', _delta("b")],
    "crlf": [b'data: {"choices":[{"delta":{"content":"a"}}]}\r\n\r\n', _delta("b")],
    "no_space": [b'data:{"choices":[{"delta":{"content":"a"}}]}\n\n', _delta("b")],
    "event_name_first": [b"event: x\n", _delta("a"), _delta("b")],
    "comment": [b": keep-alive\n\n", _delta("a")],
    "two_lines": [b'data: {"choices":\ndata: [{"delta":{"content":"a"}}]}\n\n', _delta("b")],
    "empty_data": [b"data: \n\n", _delta("a")],
    "extra_blank_lines": [_delta("a") + b"\n\n", _delta("b")],
    "two_events_in_a_chunk": [_delta("a") + _delta("b"), _delta("c")],
    "refusal_and_tools": [
        _chunk({"choices": [{"delta": {"refusal": "no"}}]}),
        _chunk(
            {
                "choices": [
                    {"delta": {"tool_calls": [{"function": {"name": "f", "arguments": "{"}}]}}
                ]
            }
        ),
        _chunk({"choices": ["odd", {"index": -1, "delta": {"content": "c"}}]}),
    ],
    "no_terminator": [_delta("a"), b'data: {"choices":[{"delta":{"content":"b"}}]}'],
}

RESPONSES_STREAMS: dict[str, list[bytes]] = {
    "data_only": [
        _chunk({"type": "response.created", "response": {"model": "gpt-5"}}),
        _chunk({"type": "response.output_text.delta", "delta": "hi"}),
        b'data: {"type":"response.output_text.delta","delta":"\xff"}\n\n',
        _chunk({"type": "response.completed", "response": {"model": "gpt-5", "usage": {}}}),
    ],
    "named_events": [
        b'event: response.output_text.delta\ndata: {"delta":"a"}\n\n',
        b'data: {"type":"response.output_text.delta","delta":"b"}\n\n',
        b"data: nope\n\n",
    ],
    "name_in_its_own_chunk": [b"event: response.output_text.delta\n", b'data: {"delta":"c"}\n\n'],
}


def _run(path: str, chunks: list[bytes]) -> tuple[ResponseFacts, str, int, list[bool]]:
    endpoint = _ADAPTER.classify("POST", "api.openai.com", path)
    stream: StreamMeter = _ADAPTER.stream_meter(endpoint, _ADAPTER.parse_request(endpoint, b"{}"))
    seen = []
    for chunk in chunks:
        stream.feed(chunk)
        seen.append(stream.first_token_seen())
    return stream.finish(), stream.output_text(), stream.output_chars(), seen


def _byte_by_byte(path: str, chunks: list[bytes]) -> tuple[ResponseFacts, str, int, list[bool]]:
    """The same stream one byte per feed, first_token_seen read at the same event ends."""
    endpoint = _ADAPTER.classify("POST", "api.openai.com", path)
    stream: StreamMeter = _ADAPTER.stream_meter(endpoint, _ADAPTER.parse_request(endpoint, b"{}"))
    seen = []
    for chunk in chunks:
        for i in range(len(chunk)):
            stream.feed(chunk[i : i + 1])
        seen.append(stream.first_token_seen())
    return stream.finish(), stream.output_text(), stream.output_chars(), seen


@pytest.mark.parametrize("name", sorted(CHAT_STREAMS))
def test_chat_event_chunks_meter_as_the_line_walk(name: str) -> None:
    chunks = CHAT_STREAMS[name]
    got = _run("/v1/chat/completions", chunks)
    assert got == _byte_by_byte("/v1/chat/completions", chunks)
    assert got[2] == len(got[1])


@pytest.mark.parametrize("name", sorted(RESPONSES_STREAMS))
def test_responses_event_chunks_meter_as_the_line_walk(name: str) -> None:
    chunks = RESPONSES_STREAMS[name]
    assert _run("/v1/responses", chunks) == _byte_by_byte("/v1/responses", chunks)


def test_the_odd_streams_are_read_as_before() -> None:
    """What the equivalence relies on, checked on its own: these give the facts they gave."""
    facts, text, _, _ = _run("/v1/chat/completions", CHAT_STREAMS["invalid_utf8"])
    assert text == "\ufffd\ufffdok"
    assert facts.parse_error is None
    facts, text, _, _ = _run("/v1/chat/completions", CHAT_STREAMS["not_json"])
    assert text == "after"
    assert facts.parse_error is not None
    assert facts.parse_error.startswith("invalid json")
    facts, _, _, _ = _run("/v1/chat/completions", CHAT_STREAMS["done_with_tail"])
    assert facts.stream_completed
    facts, _, _, _ = _run("/v1/chat/completions", CHAT_STREAMS["nan_and_big_int"])
    assert facts.parse_error is None
    facts, text, _, seen = _run("/v1/chat/completions", CHAT_STREAMS["event_name_first"])
    assert text == "ab"
    assert seen == [False, True, True]


def _split_per_event(body: bytes) -> list[bytes]:
    """A provider's body as it sends it: one chunk per event (blank-line separated)."""
    sep = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"
    parts = body.split(sep)
    chunks = [part + sep for part in parts[:-1]]
    return [*chunks, parts[-1]] if parts[-1] else chunks


@pytest.mark.parametrize("name", SSE_STREAMS)
def test_captured_streams_fed_per_event_give_the_whole_stream_facts(
    samples: dict[str, Sample], name: str
) -> None:
    sample = samples[name]
    case = sample.case
    endpoint = case.adapter.classify("POST", case.host, case.path)
    request = case.adapter.parse_request(endpoint, json.dumps(case.request).encode())
    per_event = case.adapter.stream_meter(endpoint, request)
    for chunk in _split_per_event(sample.body):
        per_event.feed(chunk)
    whole = case.adapter.stream_meter(endpoint, request)
    for i in range(len(sample.body)):
        whole.feed(sample.body[i : i + 1])
    assert per_event.output_text() == whole.output_text()
    assert per_event.finish() == whole.finish()


def _walked(chunks: list[bytes]) -> list[SseEvent]:
    parser = SseParser()
    events = [
        event
        for chunk in chunks
        for i in range(len(chunk))
        for event in parser.feed(chunk[i : i + 1])
    ]
    return events + parser.close()


_LINE = st.sampled_from(
    [b"data: a", b"data:b", b"data", b"event: e", b"event:f", b": c", b"id: 1", b"", b"data: \xff"]
)
_END = st.sampled_from([b"\n", b"\r\n"])


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.lists(st.tuples(_LINE, _END), max_size=4), max_size=8))
def test_parser_events_do_not_depend_on_the_fast_path(
    chunks: list[list[tuple[bytes, bytes]]],
) -> None:
    fed = [b"".join(line + end for line, end in lines) for lines in chunks]
    parser = SseParser()
    events = [event for chunk in fed for event in parser.feed(chunk)]
    assert events + parser.close() == _walked(fed)


@pytest.mark.parametrize(
    "chunks",
    [
        [b"data: \xff\xfe\n\n"],
        [b"data: a\r\n\n"],
        [b"data: a\rb\n\n"],
        [b"event: e\n", b"data: a\n\n"],
        [b"data: a\n", b"data: b\n\n"],
        [b"data: a\n\n", b"data: b\n\n"],
        [b"event: e\ndata: a\n\n", b"event: \xff\ndata: \xfe\n\n"],
        [b"event: e\ndata: a\r\n\n"],
        [b"event: e\r\ndata: a\n\n"],
        [b"event: \ndata: \n\n"],
        [b"event: e\ndata: a\ndata: b\n\n"],
        [b"event: e\n\ndata: a\n\n"],
        [b"event: e\ndata:a\n\n"],
        [b"event:e\ndata: a\n\n"],
        [b"event: e\nid: 1\n\n"],
    ],
)
def test_parser_one_event_chunks(chunks: list[bytes]) -> None:
    parser = SseParser()
    assert [event for chunk in chunks for event in parser.feed(chunk)] == _walked(chunks)


def test_one_data_event() -> None:
    assert is_one_data_event(b"data: {}\n\n")
    assert is_one_data_event(b"data: \n\n")
    for chunk in (b"data: {}\n", b"data: {}\r\n\r\n", b"data: a\ndata: b\n\n", b"data:{}\n\n"):
        assert not is_one_data_event(chunk)
    assert not is_one_data_event(b"data: a\n\ndata: b\n\n")
    assert not is_one_data_event(b"event: e\ndata: a\n\n")
