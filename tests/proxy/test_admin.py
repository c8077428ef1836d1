"""The proxy's admin endpoint: health, readiness and Prometheus metrics."""

from __future__ import annotations

import aiohttp
import openai

from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy


async def test_health_ready_and_metrics_after_a_call(
    start_proxy: StartProxy, fake_provider: FakeProvider
) -> None:
    proxy = await start_proxy(upstream_overrides={"api.openai.com": fake_provider.url})
    assert proxy.reverse_address is not None
    assert proxy.admin_address is not None
    rhost, rport = proxy.reverse_address
    async with openai.AsyncOpenAI(
        base_url=f"http://{rhost}:{rport}/openai/v1", api_key="sk-x", max_retries=0
    ) as client:
        await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    host, port = proxy.admin_address
    async with aiohttp.ClientSession(f"http://{host}:{port}") as session:
        async with session.get("/healthz") as health:
            assert health.status == 200
        async with session.get("/readyz") as ready:
            assert ready.status == 200
        async with session.get("/metrics") as metrics:
            text = await metrics.text()
    assert 'agentops_proxy_calls_total{provider="openai",status="ok"}' in text
    assert "agentops_proxy_overhead_seconds_bucket" in text
    assert "agentops_proxy_spool_depth_records" in text
