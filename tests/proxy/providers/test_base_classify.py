"""What a request is, from method, host and path alone."""

from __future__ import annotations

import pytest

from proxy.providers import (
    AnthropicAdapter,
    AzureOpenAIAdapter,
    BedrockAdapter,
    Endpoint,
    GeminiAdapter,
    OpenAIAdapter,
    ProviderAdapter,
)

OA, A, G, Z, B = (
    OpenAIAdapter(),
    AnthropicAdapter(),
    GeminiAdapter(),
    AzureOpenAIAdapter(),
    BedrockAdapter(),
)


@pytest.mark.parametrize(
    ("adapter", "method", "path", "expected"),
    [
        (OA, "POST", "/v1/chat/completions", Endpoint("openai", "chat.completions")),
        (OA, "POST", "/v1/responses", Endpoint("openai", "responses")),
        (OA, "POST", "/v1/embeddings", Endpoint("openai", "embeddings")),
        (OA, "POST", "/v1/completions", Endpoint("openai", "completions")),
        (OA, "GET", "/v1/models", Endpoint("openai", "other", metered=False)),
        (OA, "POST", "/v1/files", Endpoint("openai", "other", metered=False)),
        (OA, "POST", "/v1/batches", Endpoint("openai", "other", metered=False)),
        (OA, "GET", "/v1/responses/resp_1", Endpoint("openai", "other", metered=False)),
        (OpenAIAdapter("groq"), "POST", "/openai/v1/chat/completions", Endpoint("groq", "chat.completions")),
        (A, "POST", "/v1/messages", Endpoint("anthropic", "messages")),
        (A, "POST", "/v1/messages/count_tokens", Endpoint("anthropic", "count_tokens", metered=False)),
        (A, "POST", "/v1/messages/batches", Endpoint("anthropic", "other", metered=False)),
        (G, "POST", "/v1beta/models/gemini-2.5-pro:generateContent",
         Endpoint("gemini", "generate_content", model_from_path="gemini-2.5-pro")),
        (G, "POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
         Endpoint("gemini", "generate_content", streaming_hint=True, model_from_path="gemini-2.5-pro")),
        (GeminiAdapter("vertex_ai"), "POST",
         "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
         Endpoint("vertex_ai", "generate_content", model_from_path="gemini-2.5-flash")),
        (G, "POST", "/v1beta/models/gemini-2.5-pro:countTokens",
         Endpoint("gemini", "other", metered=False, model_from_path="gemini-2.5-pro")),
        (G, "POST", "/v1beta/openai/chat/completions", Endpoint("gemini", "chat.completions")),
        (Z, "POST", "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21",
         Endpoint("azure", "chat.completions", model_from_path="prod-4o")),
        (Z, "POST", "/openai/v1/responses", Endpoint("azure", "responses")),
        (B, "POST", "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream",
         Endpoint("bedrock", "converse", streaming_hint=True, model_from_path="us.anthropic.claude-sonnet-4-20250514-v1:0")),
        (B, "POST", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke",
         Endpoint("bedrock", "invoke", model_from_path="anthropic.claude-3-haiku-20240307-v1:0")),
        (B, "GET", "/foundation-models", Endpoint("bedrock", "other", metered=False)),
    ],
)  # fmt: skip
def test_classify(adapter: ProviderAdapter, method: str, path: str, expected: Endpoint) -> None:
    assert adapter.classify(method, "host", path) == expected
