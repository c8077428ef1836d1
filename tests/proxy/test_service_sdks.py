"""The official SDKs, configured only through the environment, get the same answers through the
proxy as directly from the provider, and every call leaves a correct record in the spool.

The SDK believes it talks to https://api.openai.com (or api.anthropic.com) through HTTPS_PROXY,
trusting our exported CA bundle; the proxy intercepts and the upstream override sends the call
to the local fake provider.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from proxy.ca import write_bundle
from proxy.service import ProxyService
from tests.fakeprovider import expected as ex
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records, spooled_records

OPENAI_KEY = "sk-test-openai-SECRET-0d5a7c"
ANTHROPIC_KEY = "sk-ant-test-SECRET-91be44"
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
CLAUDE = "claude-sonnet-4-6"


@pytest.fixture
async def proxy(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> ProxyService:
    service = await start_proxy(
        upstream_overrides={
            "api.openai.com": fake_provider.url,
            "api.anthropic.com": fake_provider.url,
        }
    )
    host, port = service.forward_address
    bundle = write_bundle(service.settings.proxy.ca_dir, tmp_path / "bundle.pem")
    monkeypatch.setenv("HTTPS_PROXY", f"http://{host}:{port}")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return service


def records_of(service: ProxyService) -> dict[str, dict[str, Any]]:
    assert service.spool.wait_durable(timeout=10)
    return final_records(service.spool.directory)


def only_record(service: ProxyService) -> dict[str, Any]:
    [record] = records_of(service).values()
    return record


def assert_usage(record: dict[str, Any], provider: str) -> None:
    usage = ex.expected_usage(provider)
    tokens = record["tokens"]
    assert tokens["source"] == "reported"
    assert (tokens["input"], tokens["output"]) == (usage.input, usage.output)
    assert tokens["cached_read"] == usage.cached_read
    assert tokens["reasoning"] == usage.reasoning


def direct_openai(fp: FakeProvider) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{fp.url}/v1", api_key=OPENAI_KEY, max_retries=0)


async def test_openai_chat_through_the_proxy_equals_a_direct_call(
    proxy: ProxyService, fake_provider: FakeProvider
) -> None:
    async with openai.AsyncOpenAI(api_key=OPENAI_KEY, max_retries=0) as client:
        reply = await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    async with direct_openai(fake_provider) as client:
        direct = await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert reply.model_dump() == direct.model_dump()

    record = only_record(proxy)
    assert (record["provider"], record["endpoint"], record["status"]) == (
        "openai",
        "chat.completions",
        "ok",
    )
    assert (record["host"], record["path"]) == ("api.openai.com", "/v1/chat/completions")
    assert record["model_requested"] == "gpt-4o"
    assert record["model_served"] == "gpt-4o-2025-01-01"
    assert not record["streamed"]
    assert_usage(record, "openai")
    assert record["cost"]["total_usd"] is not None
    assert record["latency_ms"] > 0
    assert record["overhead_ms"] is not None


async def test_openai_stream_is_teed_and_recorded_twice_under_one_call_id(
    proxy: ProxyService, fake_provider: FakeProvider
) -> None:
    async def collect(client: openai.AsyncOpenAI) -> str:
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return "".join(parts)

    async with openai.AsyncOpenAI(api_key=OPENAI_KEY, max_retries=0) as client:
        through = await collect(client)
    async with direct_openai(fake_provider) as client:
        direct = await collect(client)
    assert through == direct == ex.REPLY_TEXT

    assert proxy.spool.wait_durable(timeout=10)
    lines = spooled_records(proxy.spool.directory)
    assert [r["status"] for r in lines] == ["in_progress", "ok"]
    assert lines[0]["call_id"] == lines[1]["call_id"]
    final = lines[1]
    assert final["streamed"]
    assert_usage(final, "openai")
    assert final["cost"]["total_usd"] is not None
    assert final["ttft_ms"] is not None
    assert final["ttft_ms"] <= final["latency_ms"]


async def test_anthropic_messages_through_the_proxy_equal_a_direct_call(
    proxy: ProxyService, fake_provider: FakeProvider
) -> None:
    ask: dict[str, Any] = {
        "model": CLAUDE,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }
    async with anthropic.AsyncAnthropic(api_key=ANTHROPIC_KEY, max_retries=0) as client:
        reply = await client.messages.create(**ask)
        async with client.messages.stream(**ask) as stream:
            streamed = await stream.get_final_message()
    direct_client = anthropic.AsyncAnthropic(
        base_url=fake_provider.url, api_key=ANTHROPIC_KEY, max_retries=0
    )
    async with direct_client as client:
        direct = await client.messages.create(**ask)
    assert reply.model_dump() == direct.model_dump()
    assert [b.model_dump(exclude={"parsed_output"}) for b in streamed.content] == [
        b.model_dump() for b in direct.content
    ]

    records = list(records_of(proxy).values())
    assert [(r["provider"], r["streamed"], r["status"]) for r in records] == [
        ("anthropic", False, "ok"),
        ("anthropic", True, "ok"),
    ]
    for record in records:
        assert_usage(record, "anthropic")
        assert record["tokens"]["cache_write_5m"] == ex.CACHE_WRITE_5M_TOKENS
        assert record["cost"]["total_usd"] is not None


async def test_reverse_mode_needs_no_proxy_and_no_ca(
    proxy: ProxyService, fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("SSL_CERT_FILE")
    assert proxy.reverse_address is not None
    host, port = proxy.reverse_address
    base_url = f"http://{host}:{port}/openai/v1"
    async with openai.AsyncOpenAI(base_url=base_url, api_key=OPENAI_KEY, max_retries=0) as c:
        reply = await c.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert reply.choices[0].message.content == ex.REPLY_TEXT
    assert fake_provider.requests[-1].path == "/v1/chat/completions"
    record = only_record(proxy)
    assert (record["host"], record["status"]) == ("api.openai.com", "ok")
    assert_usage(record, "openai")


async def test_unknown_reverse_prefix_is_a_404_that_never_goes_upstream(
    proxy: ProxyService, fake_provider: FakeProvider
) -> None:
    assert proxy.reverse_address is not None
    host, port = proxy.reverse_address
    async with openai.AsyncOpenAI(
        base_url=f"http://{host}:{port}/nowhere/v1", api_key=OPENAI_KEY, max_retries=0
    ) as client:
        with pytest.raises(openai.NotFoundError):
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert fake_provider.requests == []


async def test_models_list_passes_through_and_is_recorded_unmetered(
    proxy: ProxyService, fake_provider: FakeProvider
) -> None:
    async with openai.AsyncOpenAI(api_key=OPENAI_KEY, max_retries=0) as client:
        models = await client.models.list()
    assert models.data
    record = only_record(proxy)
    assert record["metered"] is False
    assert record["status"] == "ok"
    assert record["cost"]["unpriced_reason"] == "not_metered"


async def test_provider_error_status_is_recorded_as_error(proxy: ProxyService) -> None:
    async with openai.AsyncOpenAI(
        api_key=OPENAI_KEY, max_retries=0, default_headers={"x-fake-status": "429"}
    ) as client:
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    record = only_record(proxy)
    assert (record["status"], record["http_status"]) == ("error", 429)
    assert record["error_type"]
    # Providers do not bill a refused request: an exact zero, not an estimate of the prompt.
    assert record["cost"]["total_usd"] == "0"
    assert record["tokens"]["source"] == "none"
    assert record["estimated_input_tokens"] > 0  # the estimate is still kept, as information
