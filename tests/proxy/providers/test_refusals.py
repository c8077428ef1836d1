"""Refusals read to the official SDKs as the provider's own errors, and are not retried."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import anthropic
import openai
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from proxy.providers import AnthropicAdapter, BedrockAdapter, GeminiAdapter, OpenAIAdapter, Refusal


class RefusingServer:
    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        self.hits = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        return web.Response(
            status=self.refusal.status, body=self.refusal.body, headers=self.refusal.headers
        )


Serve = Callable[[Refusal], Awaitable[tuple[str, RefusingServer]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[TestServer] = []

    async def start(refusal: Refusal) -> tuple[str, RefusingServer]:
        target = RefusingServer(refusal)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", target.handle)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/"), target

    yield start
    for server in servers:
        await server.close()


@pytest.mark.parametrize(
    ("status", "error"), [(403, openai.PermissionDeniedError), (429, openai.RateLimitError)]
)
async def test_openai_sdk_raises_our_message_without_retrying(
    serve: Serve, status: int, error: type[openai.APIStatusError]
) -> None:
    refusal = OpenAIAdapter().refusal(
        status, "Agent is paused", "agent_paused", "ref-123", streaming=False
    )
    url, target = await serve(refusal)
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=3) as client:
        with pytest.raises(error) as info:
            await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
    assert target.hits == 1
    assert "Agent is paused" in str(info.value)
    assert "ref-123" in str(info.value)
    assert info.value.code == "agent_paused"
    if status == 429:
        assert info.value.response.headers["retry-after"] == "60"


@pytest.mark.parametrize(
    ("status", "error"), [(403, anthropic.PermissionDeniedError), (429, anthropic.RateLimitError)]
)
async def test_anthropic_sdk_raises_our_message_without_retrying(
    serve: Serve, status: int, error: type[anthropic.APIStatusError]
) -> None:
    refusal = AnthropicAdapter().refusal(
        status, "Budget exhausted", "budget_exceeded", "ref-9", streaming=True
    )
    url, target = await serve(refusal)
    async with anthropic.AsyncAnthropic(base_url=url, api_key="k", max_retries=3) as client:
        with pytest.raises(error, match=r"Budget exhausted.*ref-9"):
            await client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=10,
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
            )
    assert target.hits == 1


def test_gemini_and_bedrock_refusal_shapes() -> None:
    gemini = GeminiAdapter().refusal(429, "Rate limited", "rate_limited", "r1", streaming=False)
    assert json.loads(gemini.body) == {
        "error": {
            "code": 429,
            "message": "Rate limited (AgentOps reference: r1)",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    assert gemini.headers["retry-after"] == "60"
    bedrock = BedrockAdapter().refusal(403, "Killed", "agent_killed", "r2", streaming=False)
    assert json.loads(bedrock.body) == {"message": "Killed (AgentOps reference: r2)"}
    assert bedrock.headers["x-amzn-errortype"].startswith("AccessDeniedException:")
    assert bedrock.headers["x-should-retry"] == "false"
    assert bedrock.headers["x-agentops-reference"] == "r2"
