"""Real reply bytes from the fake provider (whose shapes the official SDKs accept), captured
once per session so parser tests and property tests run without sockets."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from proxy.providers import (
    AnthropicAdapter,
    AzureOpenAIAdapter,
    BedrockAdapter,
    GeminiAdapter,
    OpenAIAdapter,
    ProviderAdapter,
)

HELLO = [{"role": "user", "content": "hi"}]
CHAT_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}
ANTHROPIC_BODY = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 100,
    "messages": HELLO,
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
}
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
BEDROCK_BODY = {
    "messages": [{"role": "user", "content": [{"text": "hi"}]}],
    "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {}}}}]},
}


@dataclass(frozen=True)
class Case:
    adapter: ProviderAdapter
    family: str  # key for expected_usage
    path: str
    request: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    host: str = "api.example.com"


@dataclass(frozen=True)
class Sample:
    case: Case
    status: int
    body: bytes


CASES: dict[str, Case] = {
    "chat": Case(OpenAIAdapter(), "openai", "/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO}),
    "chat_n2": Case(OpenAIAdapter(), "openai", "/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO, "n": 2}),
    "chat_tools": Case(OpenAIAdapter(), "openai", "/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO, "tools": [CHAT_TOOL]}),
    "chat_stream_usage": Case(
        OpenAIAdapter(), "openai", "/v1/chat/completions",
        {"model": "gpt-4o", "messages": HELLO, "stream": True, "stream_options": {"include_usage": True}, "n": 2},
    ),
    "chat_stream_no_usage": Case(OpenAIAdapter(), "openai", "/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO, "stream": True}),
    "chat_stream_tools": Case(
        OpenAIAdapter("groq"), "openai", "/v1/chat/completions",
        {"model": "gpt-4o", "messages": HELLO, "stream": True, "tools": [CHAT_TOOL], "stream_options": {"include_usage": True}},
    ),
    "responses": Case(OpenAIAdapter(), "openai", "/v1/responses", {"model": "gpt-5", "input": "hi"}),
    "responses_stream": Case(OpenAIAdapter(), "openai", "/v1/responses", {"model": "gpt-5", "input": "hi", "stream": True}),
    "embeddings": Case(OpenAIAdapter(), "embeddings", "/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]}),
    "azure_chat": Case(
        AzureOpenAIAdapter(), "openai", "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
        {"messages": HELLO, "stream": True, "stream_options": {"include_usage": True}},
    ),
    "anthropic": Case(AnthropicAdapter(), "anthropic", "/v1/messages", ANTHROPIC_BODY),
    "anthropic_stream": Case(AnthropicAdapter(), "anthropic", "/v1/messages", {**ANTHROPIC_BODY, "stream": True}),
    "gemini": Case(GeminiAdapter(), "gemini", "/v1beta/models/gemini-2.5-flash:generateContent", GEMINI_BODY),
    "gemini_sse": Case(GeminiAdapter(), "gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", GEMINI_BODY),
    "gemini_array": Case(GeminiAdapter(), "gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", GEMINI_BODY),
    "bedrock": Case(BedrockAdapter(), "bedrock", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", BEDROCK_BODY),
    "bedrock_stream": Case(BedrockAdapter(), "bedrock", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream", BEDROCK_BODY),
}  # fmt: skip


def fetch(base_url: str, case: Case, **extra_headers: str) -> Sample:
    request = urllib.request.Request(
        base_url + case.path,
        data=json.dumps(case.request).encode(),
        headers={"content-type": "application/json", **dict(case.headers), **extra_headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Sample(case, response.status, response.read())
    except urllib.error.HTTPError as err:
        return Sample(case, err.code, err.read())


def capture_all(base_url: str) -> dict[str, Sample]:
    return {name: fetch(base_url, case) for name, case in CASES.items()}
