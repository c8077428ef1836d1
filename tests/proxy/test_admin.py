"""The proxy's admin endpoint: health, readiness and Prometheus metrics."""

from __future__ import annotations

import re
import socket

import aiohttp
import openai
import pytest

from proxy.metrics import BoundedLabels
from tests.fakeprovider.expected import served_model
from tests.fakeprovider.server import FakeProvider
from tests.harness.ports import free_port
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


async def test_the_metrics_listener_binds_its_own_address(start_proxy: StartProxy) -> None:
    """A pod exposes metrics and probes on its address while the proxy stays on loopback."""
    pod_address = _non_loopback_address()
    proxy = await start_proxy(metrics_host=pod_address, metrics_port=free_port())
    assert proxy.metrics_address is not None
    assert proxy.admin_address is not None
    assert proxy.metrics_address[0] == pod_address
    assert proxy.admin_address[0] == proxy.forward_address[0] == "127.0.0.1"
    host, port = proxy.metrics_address
    async with aiohttp.ClientSession(f"http://{host}:{port}") as session:
        for path in ("/healthz", "/readyz", "/metrics"):
            async with session.get(path) as reply:
                assert reply.status == 200, path
    with pytest.raises(aiohttp.ClientConnectorError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://{pod_address}:{proxy.admin_address[1]}/healthz")


def _non_loopback_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outbound address
        address = str(probe.getsockname()[0])
    assert not address.startswith("127."), "this test needs a non-loopback interface"
    return address


async def test_metrics_carry_tokens_cost_and_duration_with_bounded_labels(
    start_proxy: StartProxy, fake_provider: FakeProvider
) -> None:
    proxy = await start_proxy(upstream_overrides={"api.openai.com": fake_provider.url})
    assert proxy.reverse_address is not None
    assert proxy.admin_address is not None
    rhost, rport = proxy.reverse_address
    async with openai.AsyncOpenAI(
        base_url=f"http://{rhost}:{rport}/openai/v1",
        api_key="sk-x",
        max_retries=0,
        default_headers={"X-AgentOps-Agent": "metrics-agent", "X-AgentOps-Run-Id": "run-metrics"},
    ) as client:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    host, port = proxy.admin_address
    async with (
        aiohttp.ClientSession(f"http://{host}:{port}") as session,
        session.get("/metrics") as metrics,
    ):
        text = await metrics.text()
    labels = f'model="{served_model("gpt-4o-mini")}",provider="openai"'
    assert f'agentops_llm_tokens_total{{{labels},token_class="input"}}' in text
    assert f'agentops_llm_tokens_total{{{labels},token_class="output"}}' in text
    cost = re.search(rf"^agentops_llm_cost_usd_total{{{labels}}} (\S+)$", text, re.M)
    assert cost is not None
    assert float(cost.group(1)) > 0
    assert f'agentops_llm_call_duration_seconds_count{{{labels},status="ok"}}' in text
    assert re.search(r'^agentops_build_info\{python="[\d.]+",version="[^"]+"\} 1\.0$', text, re.M)
    assert "_created" not in text  # no duplicated series per counter
    series = [line for line in text.splitlines() if line.startswith("agentops_llm_")]
    assert series
    assert not [s for s in series if "metrics-agent" in s or "run-metrics" in s or "sk-x" in s]


def test_model_labels_are_capped_so_invented_names_cannot_explode_the_series() -> None:
    labels = BoundedLabels(3)
    assert [labels(m) for m in ("a", "b", "a", "c", "d", "b", None, "")] == [
        "a", "b", "a", "c", "other", "b", "unknown", "unknown",
    ]  # fmt: skip
