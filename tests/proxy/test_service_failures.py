"""Calls that go wrong are still forwarded faithfully and recorded truthfully; no provider
credential reaches a record or a log line."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from proxy.ca import write_bundle
from proxy.service import ProxyService
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records, spooled_records

OPENAI_KEY = "sk-proj-LEAKCHECK-7f3e9a1b2c"
ANTHROPIC_KEY = "sk-ant-api03-LEAKCHECK-55aa"
GEMINI_KEY = "AIzaLEAKCHECKgemini0099"
CHAT = "https://api.openai.com/v1/chat/completions"
BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def proxy(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> ProxyService:
    overrides = {
        h: fake_provider.url
        for h in ("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com")
    }
    service = await start_proxy(upstream_overrides=overrides)
    host, port = service.forward_address
    bundle = write_bundle(service.settings.proxy.ca_dir, tmp_path / "bundle.pem")
    monkeypatch.setenv("HTTPS_PROXY", f"http://{host}:{port}")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return service


def _session(proxy: ProxyService) -> tuple[aiohttp.ClientSession, dict[str, Any]]:
    host, port = proxy.forward_address
    bundle = proxy.settings.proxy.ca_dir / "agentops-ca-bundle.pem"
    write_bundle(proxy.settings.proxy.ca_dir, bundle)
    ctx = ssl.create_default_context(cafile=str(bundle))
    return aiohttp.ClientSession(), {"proxy": f"http://{host}:{port}", "ssl": ctx}


async def _final(proxy: ProxyService) -> dict[str, Any]:
    """Wait for the call's superseding (non in-progress) record."""
    while True:
        proxy.spool.wait_durable(timeout=10)
        done = [
            r for r in final_records(proxy.spool.directory).values() if r["status"] != "in_progress"
        ]
        if done:
            return done[0]
        await asyncio.sleep(0.02)


async def test_client_disconnect_mid_stream_is_cancelled(proxy: ProxyService) -> None:
    session, opts = _session(proxy)
    headers = {
        "authorization": f"Bearer {OPENAI_KEY}",
        "x-fake-chunks": "50",
        "x-fake-chunk-delay-ms": "40",
    }
    async with session:
        response = await session.post(CHAT, json={**BODY, "stream": True}, headers=headers, **opts)
        assert response.status == 200
        assert await response.content.readany()
        response.close()  # the agent goes away mid-stream
    record = await _final(proxy)
    assert record["status"] == "cancelled"
    assert record["streamed"]
    assert record["ended_at"] is not None


async def test_garbage_body_is_forwarded_untouched_and_recorded(
    proxy: ProxyService, fake_provider: FakeProvider
) -> None:
    session, opts = _session(proxy)
    headers = {"authorization": f"Bearer {OPENAI_KEY}", "x-fake-garbage": "1"}
    async with session:
        async with session.post(CHAT, json=BODY, headers=headers, **opts) as through:
            through_body = await through.read()
        async with session.post(
            f"{fake_provider.url}/v1/chat/completions", json=BODY, headers=headers
        ) as direct:
            direct_body = await direct.read()
    assert through.status == direct.status == 200
    assert through_body == direct_body
    record = await _final(proxy)
    assert record["status"] == "upstream_failed"
    assert record["parse_error"]


async def test_no_provider_key_in_any_record_or_log_line(
    proxy: ProxyService, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="mitmproxy")
    async with openai.AsyncOpenAI(api_key=OPENAI_KEY, max_retries=0) as client:
        await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for _ in stream:
            pass
    async with anthropic.AsyncAnthropic(api_key=ANTHROPIC_KEY, max_retries=0) as claude:
        await claude.messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    session, opts = _session(proxy)
    gemini = (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
        f":generateContent?key={GEMINI_KEY}"
    )
    async with session:
        async with session.post(
            gemini,
            json={"contents": [{"parts": [{"text": "hi"}]}]},
            headers={"x-goog-api-key": GEMINI_KEY},
            **opts,
        ) as response:
            assert response.status == 200
        async with session.post(
            CHAT,
            json=BODY,
            headers={"authorization": f"Bearer {OPENAI_KEY}", "x-fake-status": "401"},
            **opts,
        ) as r:
            assert r.status == 401
    assert proxy.spool.wait_durable(timeout=10)
    records = spooled_records(proxy.spool.directory)
    assert len(records) >= 5
    # The proxy's own log lines (the SDKs and the fake provider log what they like).
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("proxy", "agentops", "mitmproxy")]
    assert ours
    haystack = json.dumps(records) + "\n".join(
        r.getMessage() + json.dumps(r.__dict__, default=str) for r in ours
    )
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY):
        assert secret not in haystack
    assert any(r["provider"] == "gemini" for r in records)
