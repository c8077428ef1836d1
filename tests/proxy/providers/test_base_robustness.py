"""Parse failures never raise: they come back as facts with parse_error set."""

from __future__ import annotations

import pytest

from proxy.providers import (
    AnthropicAdapter,
    BedrockAdapter,
    GeminiAdapter,
    OpenAIAdapter,
    ProviderAdapter,
)
from proxy.providers.eventstream import event_frame
from tests.fakeprovider.wire import GARBAGE

ADAPTERS: list[tuple[ProviderAdapter, str]] = [
    (OpenAIAdapter(), "/v1/chat/completions"),
    (OpenAIAdapter(), "/v1/responses"),
    (AnthropicAdapter(), "/v1/messages"),
    (GeminiAdapter(), "/v1beta/models/gemini-2.5-pro:streamGenerateContent"),
    (BedrockAdapter(), "/model/m/converse-stream"),
]


@pytest.mark.parametrize(("adapter", "path"), ADAPTERS)
@pytest.mark.parametrize("body", [GARBAGE, b"", b"[1,2", b"\xff\xfe\x00", b'"a string"', b"null"])
def test_garbage_is_a_parse_error_not_an_exception(
    adapter: ProviderAdapter, path: str, body: bytes
) -> None:
    endpoint = adapter.classify("POST", "h", path)
    request = adapter.parse_request(endpoint, body)
    response = adapter.parse_response(endpoint, 200, body)
    assert request.parse_error is not None
    assert response.parse_error is not None
    assert response.usage is None
    stream = adapter.stream_meter(endpoint, request)
    stream.feed(body)
    stream.feed(b"\n\ndata: {not json}\n\n")
    stream.finish()


def test_bedrock_corrupt_frame_is_reported() -> None:
    adapter = BedrockAdapter()
    endpoint = adapter.classify("POST", "h", "/model/m/converse-stream")
    stream = adapter.stream_meter(endpoint, adapter.parse_request(endpoint, b"{}"))
    frame = bytearray(event_frame("messageStart", b'{"role":"assistant"}'))
    frame[-1] ^= 0xFF
    stream.feed(bytes(frame))
    assert stream.finish().parse_error == "stream: message checksum mismatch"


@pytest.mark.parametrize(
    ("adapter", "path", "status", "body", "kind", "message"),
    [
        (OpenAIAdapter(), "/v1/chat/completions", 429,
         b'{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
         "requests", "Rate limit reached"),
        (AnthropicAdapter(), "/v1/messages", 529,
         b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', "overloaded_error", "Overloaded"),
        (GeminiAdapter(), "/v1beta/models/g:generateContent", 400,
         b'{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT"}}', "INVALID_ARGUMENT", "API key not valid"),
        (BedrockAdapter(), "/model/m/converse", 400, b'{"message":"Malformed input request"}', "http_400", "Malformed input request"),
    ],
)  # fmt: skip
def test_provider_errors_are_read(
    adapter: ProviderAdapter, path: str, status: int, body: bytes, kind: str, message: str
) -> None:
    facts = adapter.parse_response(adapter.classify("POST", "h", path), status, body)
    assert (facts.error_type, facts.error_message, facts.usage) == (kind, message, None)


def test_in_stream_errors_are_read() -> None:
    openai = OpenAIAdapter()
    endpoint = openai.classify("POST", "h", "/v1/chat/completions")
    stream = openai.stream_meter(endpoint, openai.parse_request(endpoint, b"{}"))
    stream.feed(openai.stream_error_event("cut by kill-switch", "agent_killed"))
    assert stream.finish().error_message == "cut by kill-switch"
    anthropic = AnthropicAdapter()
    endpoint = anthropic.classify("POST", "h", "/v1/messages")
    meter = anthropic.stream_meter(endpoint, anthropic.parse_request(endpoint, b"{}"))
    meter.feed(anthropic.stream_error_event("cut", "agent_killed"))
    assert meter.finish().error_type == "permission_error"
    bedrock = BedrockAdapter()
    endpoint = bedrock.classify("POST", "h", "/model/m/converse-stream")
    frames = bedrock.stream_meter(endpoint, bedrock.parse_request(endpoint, b"{}"))
    frames.feed(bedrock.stream_error_event("cut", "agent_killed"))
    assert frames.finish().error_type == "accessDeniedException"
