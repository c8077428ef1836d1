"""The official SDKs accept everything the fake provider says, streamed or not."""

from __future__ import annotations

import anthropic
import openai
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam

from tests.fakeprovider import expected as ex
from tests.fakeprovider.server import FakeProvider


def _openai(fp: FakeProvider, **headers: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{fp.url}/v1", api_key="sk-test", default_headers=headers)


def _anthropic(fp: FakeProvider, **headers: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fp.url, api_key="sk-ant-test", default_headers=headers)


HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


async def test_openai_chat_completion(fake_provider: FakeProvider) -> None:
    async with _openai(fake_provider) as client:
        reply = await client.chat.completions.create(model="gpt-4o", messages=HELLO, n=2)
    assert [c.message.content for c in reply.choices] == [ex.REPLY_TEXT, ex.REPLY_TEXT]
    assert reply.model == "gpt-4o-2025-01-01"
    assert reply.usage is not None
    assert reply.usage.completion_tokens == 2 * ex.COMPLETION_TOKENS
    assert reply.usage.prompt_tokens_details is not None
    assert reply.usage.prompt_tokens_details.cached_tokens == ex.CACHED_READ_TOKENS
    method, path, headers, body = fake_provider.requests[0]
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert headers["authorization"] == "Bearer sk-test"
    assert b'"n": 2' in body or b'"n":2' in body


async def test_openai_chat_stream_with_usage(fake_provider: FakeProvider) -> None:
    async with _openai(fake_provider, **{"x-fake-chunks": "7"}) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ex.REPLY_TEXT
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 7
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == ex.PROMPT_TOKENS


async def test_openai_chat_stream_without_usage_has_none(fake_provider: FakeProvider) -> None:
    async with _openai(fake_provider) as client:
        stream = await client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
        chunks = [chunk async for chunk in stream]
    assert all(c.usage is None for c in chunks)


async def test_openai_tool_calls_streamed_and_not(fake_provider: FakeProvider) -> None:
    async with _openai(fake_provider) as client:
        reply = await client.chat.completions.create(
            model="gpt-4o", messages=HELLO, tools=[WEATHER_TOOL]
        )
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=HELLO,
            tools=[WEATHER_TOOL],
            stream=True,
        )
        chunks = [chunk async for chunk in stream]
    calls = reply.choices[0].message.tool_calls
    assert calls is not None
    assert calls[0].type == "function"
    assert calls[0].function.name == "get_weather"
    streamed = "".join(
        tc.function.arguments or ""
        for c in chunks
        for tc in (c.choices[0].delta.tool_calls or [])
        if tc.function is not None
    )
    assert streamed == ex.TOOL_ARGUMENTS
    assert reply.choices[0].finish_reason == "tool_calls"


async def test_openai_responses(fake_provider: FakeProvider) -> None:
    async with _openai(fake_provider) as client:
        reply = await client.responses.create(model="gpt-5", input="hi")
        stream = await client.responses.create(model="gpt-5", input="hi", stream=True)
        events = [event async for event in stream]
    assert reply.output_text == ex.REPLY_TEXT
    assert reply.usage is not None
    assert reply.usage.output_tokens_details.reasoning_tokens == ex.REASONING_TOKENS
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == ex.REPLY_TEXT
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"


async def test_openai_embeddings_and_models(fake_provider: FakeProvider) -> None:
    async with _openai(fake_provider) as client:
        emb = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        models = await client.models.list()
    assert len(emb.data) == 2
    assert len(emb.data[0].embedding) == ex.EMBEDDING_DIMENSIONS
    assert emb.usage.prompt_tokens == ex.PROMPT_TOKENS
    assert "gpt-4o" in [m.id for m in models.data]


async def test_azure_openai(fake_provider: FakeProvider) -> None:
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=fake_provider.url, api_key="az", api_version="2024-10-21"
    )
    async with client:
        reply = await client.chat.completions.create(model="my-gpt4o", messages=HELLO)
    assert reply.choices[0].message.content == ex.REPLY_TEXT
    assert fake_provider.requests[0].path.startswith(
        "/openai/deployments/my-gpt4o/chat/completions?api-version="
    )


@pytest.mark.parametrize("status", [400, 429, 500])
async def test_openai_error_shape(fake_provider: FakeProvider, status: int) -> None:
    client = _openai(fake_provider, **{"x-fake-status": str(status)}).with_options(max_retries=0)
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    await client.close()
    assert info.value.status_code == status
    assert "fake error" in str(info.value)


async def test_anthropic_message(fake_provider: FakeProvider) -> None:
    async with _anthropic(fake_provider) as client:
        reply = await client.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=100,
            messages=[{"role": "user", "content": "hi"}],
            thinking={"type": "enabled", "budget_tokens": 1024},
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
        )
    assert [b.type for b in reply.content] == ["thinking", "text", "tool_use"]
    assert reply.usage.cache_read_input_tokens == ex.CACHED_READ_TOKENS
    assert reply.usage.cache_creation is not None
    assert reply.usage.cache_creation.ephemeral_1h_input_tokens == ex.CACHE_WRITE_1H_TOKENS


async def test_anthropic_stream(fake_provider: FakeProvider) -> None:
    async with (
        _anthropic(fake_provider) as client,
        client.messages.stream(
            model="claude-sonnet-4-6",
            max_tokens=100,
            messages=[{"role": "user", "content": "hi"}],
            thinking={"type": "enabled", "budget_tokens": 1024},
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
        ) as stream,
    ):
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text == ex.REPLY_TEXT
    assert final.usage.output_tokens == ex.COMPLETION_TOKENS
    tool = final.content[-1]
    assert tool.type == "tool_use"
    assert tool.input == {"city": "Paris", "unit": "celsius"}


async def test_anthropic_error_shape(fake_provider: FakeProvider) -> None:
    client = _anthropic(fake_provider, **{"x-fake-status": "429"}).with_options(max_retries=0)
    with pytest.raises(anthropic.RateLimitError, match="fake error"):
        await client.messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    await client.close()


def test_thread_runner_serves_sync_clients(fake_provider_thread: FakeProvider) -> None:
    with openai.OpenAI(base_url=f"{fake_provider_thread.url}/v1", api_key="k") as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert reply.choices[0].message.content == ex.REPLY_TEXT
    assert len(fake_provider_thread.requests) == 1
