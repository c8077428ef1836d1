"""Who made a call, as recorded, and what of it never reaches the provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from proxy.ca import write_bundle
from proxy.service import ProxyService
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def _proxy(
    start_proxy: StartProxy,
    fp: FakeProvider,
    mp: pytest.MonkeyPatch,
    tmp: Path,
    userinfo: str = "",
    **settings: Any,
) -> ProxyService:
    service = await start_proxy(upstream_overrides={"api.openai.com": fp.url}, **settings)
    host, port = service.forward_address
    mp.setenv("HTTPS_PROXY", f"http://{userinfo}{host}:{port}")
    mp.setenv("SSL_CERT_FILE", str(write_bundle(service.settings.proxy.ca_dir, tmp / "b.pem")))
    return service


async def _call(**headers: str) -> None:
    async with openai.AsyncOpenAI(api_key="sk-x", max_retries=0, default_headers=headers) as c:
        await c.chat.completions.create(model="gpt-4o", messages=HELLO)


def _record(service: ProxyService) -> dict[str, Any]:
    assert service.spool.wait_durable(timeout=10)
    [record] = final_records(service.spool.directory).values()
    return record


def _no_agentops_headers_upstream(fp: FakeProvider) -> None:
    headers = fp.requests[-1].headers
    assert "proxy-authorization" not in headers
    assert not [h for h in headers if h.startswith("x-agentops-")]


async def test_agent_from_proxy_credentials_which_never_go_upstream(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy = await _proxy(
        start_proxy, fake_provider, monkeypatch, tmp_path, userinfo="billing-bot:ak-secret@"
    )
    await _call()
    record = _record(proxy)
    assert (record["org"], record["agent"], record["run_source"]) == (
        "default",
        "billing-bot",
        "session",
    )
    _no_agentops_headers_upstream(fake_provider)


async def test_agent_and_run_from_headers_which_never_go_upstream(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy = await _proxy(start_proxy, fake_provider, monkeypatch, tmp_path)
    await _call(
        **{"X-AgentOps-Agent": "triage", "X-AgentOps-Run-Id": "run-42", "X-AgentOps-Anything": "x"}
    )
    record = _record(proxy)
    assert (record["agent"], record["run_id"], record["run_source"]) == (
        "triage",
        "run-42",
        "header",
    )
    _no_agentops_headers_upstream(fake_provider)


async def test_run_from_traceparent_and_agent_from_the_sidecar_default(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy = await _proxy(
        start_proxy, fake_provider, monkeypatch, tmp_path, default_agent="pod-agent"
    )
    await _call(traceparent=f"00-{TRACE}-00f067aa0ba902b7-01")
    record = _record(proxy)
    assert (record["agent"], record["run_id"], record["run_source"]) == (
        "pod-agent",
        TRACE,
        "traceparent",
    )
    assert fake_provider.requests[-1].headers["traceparent"].startswith("00-")


async def test_a_pinned_sidecar_ignores_identity_claims(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy = await _proxy(
        start_proxy, fake_provider, monkeypatch, tmp_path, default_agent="pod-agent", pin_agent=True
    )
    await _call(**{"X-AgentOps-Agent": "someone-else"})
    assert _record(proxy)["agent"] == "pod-agent"


async def test_required_credentials_missing_is_407(
    start_proxy: StartProxy,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    await _proxy(start_proxy, fake_provider, monkeypatch, tmp_path, require_credentials=True)
    # The tunnel to an LLM host ends at the proxy, so the refusal is an answer the SDK shows.
    with pytest.raises(openai.APIStatusError) as refused:
        await _call()
    assert refused.value.status_code == 407
    assert "credentials required" in refused.value.message
    assert fake_provider.requests == []
