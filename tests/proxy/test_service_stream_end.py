"""A stream whose terminal event arrived is ``ok``, even when the client closes before the
upstream's end of body (the openai SDK closes right after ``[DONE]``); one cut before it is
``cancelled``. The official SDK through the reverse endpoint, against the fake provider holding
back its end of body."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

from proxy.service import ProxyService
from tests.fakeprovider import expected as ex
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


async def _proxy(start_proxy: StartProxy, fake_provider: FakeProvider) -> ProxyService:
    return await start_proxy(upstream_overrides={"api.openai.com": fake_provider.url})


def _client(service: ProxyService, **headers: str) -> openai.AsyncOpenAI:
    assert service.reverse_address is not None
    host, port = service.reverse_address
    return openai.AsyncOpenAI(
        base_url=f"http://{host}:{port}/openai/v1",
        api_key="sk-test-not-a-secret",
        max_retries=0,
        default_headers=headers,
    )


async def _final(service: ProxyService) -> dict[str, Any]:
    for _ in range(200):  # the record is written when the proxy sees the client leave
        assert service.spool.wait_durable(timeout=10)
        records = [r for r in final_records(service.spool.directory).values()]
        if records and records[-1]["status"] != "in_progress":
            return records[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("no final record")


async def test_a_stream_closed_by_the_sdk_after_done_is_ok(
    start_proxy: StartProxy, fake_provider: FakeProvider
) -> None:
    service = await _proxy(start_proxy, fake_provider)
    async with _client(service, **{"x-fake-end-delay-ms": "1500"}) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
        pieces: list[str] = []
        async for chunk in stream:
            pieces += [c.delta.content or "" for c in chunk.choices]
            if chunk.usage is not None:  # the last chunk before [DONE]: the agent is done
                break
        await asyncio.sleep(0.2)  # [DONE] has reached the client's socket, the body's end not
        await stream.response.aclose()
    assert "".join(pieces) == ex.REPLY_TEXT

    record = await _final(service)
    assert record["status"] == "ok"
    assert record["error_message"] is None
    assert record["tokens"]["output"] > 0
    assert record["cost"]["total_usd"] not in (None, "0")


async def test_a_stream_cut_before_its_terminal_event_is_cancelled(
    start_proxy: StartProxy, fake_provider: FakeProvider
) -> None:
    service = await _proxy(start_proxy, fake_provider)
    async with _client(service, **{"x-fake-chunk-delay-ms": "300"}) as client:
        stream = await client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
        async for _chunk in stream:
            break  # the agent stops reading after the first chunk
        await stream.response.aclose()

    record = await _final(service)
    assert record["status"] == "cancelled"
