"""``proxy.upstream_proxy``: a company's egress proxy chained behind ours, with NO_PROXY.

A real parent proxy (CONNECT and absolute form, Basic credentials required) and real clients:
metered calls and the tunnels we do not intercept both traverse it; its credentials come from
the URL and never reach the provider; NO_PROXY hosts are reached directly.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from agentops.agent_env import proxy_url
from agentops.settings import load_settings
from proxy.ca import write_bundle
from proxy.egress import parse_parent
from proxy.no_proxy import NoProxy
from proxy.service import ProxyService
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.runtimes.conftest import records
from tests.runtimes.parent_proxy import ParentProxy

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def parent() -> AsyncIterator[ParentProxy]:
    proxy = ParentProxy(credentials="corp:s3cr@t")
    await proxy.start()
    yield proxy
    await proxy.stop()


async def chained(
    start_proxy: StartProxy, fake: FakeProvider, parent: ParentProxy, no_proxy: list[str]
) -> ProxyService:
    return await start_proxy(
        upstream_overrides={"api.openai.com": fake.url},
        upstream_proxy=parent.url,
        upstream_no_proxy=no_proxy,
    )


def client(service: ProxyService, tmp: Path) -> httpx.AsyncClient:
    host, port = service.forward_address
    bundle = write_bundle(service.settings.proxy.ca_dir, tmp / "bundle.pem")
    return httpx.AsyncClient(
        proxy=proxy_url(host, port, "egress-agent", None, None),
        verify=ssl.create_default_context(cafile=str(bundle)),
        timeout=20,
        trust_env=False,
    )


@pytest.mark.integration
async def test_metered_calls_traverse_the_parent_with_its_credentials(
    start_proxy: StartProxy, fake_provider: FakeProvider, parent: ParentProxy, tmp_path: Path
) -> None:
    service = await chained(start_proxy, fake_provider, parent, no_proxy=[])
    async with client(service, tmp_path) as http:
        reply = await http.post("https://api.openai.com/v1/chat/completions", json=BODY)
    assert reply.status_code == 200, reply.text
    # After the override the call goes to the fake provider: in a tunnel through the parent.
    assert parent.seen == [f"CONNECT {fake_provider.url.removeprefix('http://')}"]
    assert parent.refused == 0
    [record] = records(service)
    assert record["agent"] == "egress-agent"
    assert record["tokens"]["source"] == "reported"
    [received] = fake_provider.requests
    assert "proxy-authorization" not in {k.lower() for k in received.headers}


@pytest.mark.integration
async def test_tunnels_we_do_not_intercept_go_through_the_parent(
    start_proxy: StartProxy, fake_provider: FakeProvider, parent: ParentProxy, tmp_path: Path
) -> None:
    service = await chained(start_proxy, fake_provider, parent, no_proxy=[])
    host, port = fake_provider.url.removeprefix("http://").split(":")
    async with client(service, tmp_path) as http:
        # An https:// URL to a host that is no LLM provider: a blind CONNECT tunnel. The fake
        # provider speaks plain HTTP, so the TLS handshake fails, after the tunnel opened.
        with pytest.raises(httpx.ConnectError):
            await http.get(f"https://{host}:{port}/v1/models")
    assert parent.seen == [f"CONNECT {host}:{port}"]
    assert records(service) == []


@pytest.mark.integration
async def test_no_proxy_hosts_are_reached_directly(
    start_proxy: StartProxy, fake_provider: FakeProvider, parent: ParentProxy, tmp_path: Path
) -> None:
    service = await chained(start_proxy, fake_provider, parent, no_proxy=["127.0.0.0/8"])
    async with client(service, tmp_path) as http:
        reply = await http.post("https://api.openai.com/v1/chat/completions", json=BODY)
    assert reply.status_code == 200, reply.text
    assert parent.seen == []
    assert len(records(service)) == 1


@pytest.mark.integration
async def test_wrong_parent_credentials_fail_the_call_not_silently_bypass(
    start_proxy: StartProxy, fake_provider: FakeProvider, parent: ParentProxy, tmp_path: Path
) -> None:
    service = await chained(start_proxy, fake_provider, parent, no_proxy=[])
    parent.credentials = "corp:rotated"  # the parent now wants other credentials
    async with client(service, tmp_path) as http:
        reply = await http.post("https://api.openai.com/v1/chat/completions", json=BODY)
    assert reply.status_code >= 400
    assert parent.refused >= 1
    assert fake_provider.requests == []


@pytest.mark.parametrize(
    ("rules", "host", "port", "bypass"),
    [
        (["*"], "api.openai.com", 443, True),
        (["example.com"], "api.example.com", 443, True),
        ([".example.com"], "example.com", 443, True),
        (["example.com"], "badexample.com", 443, False),
        (["10.0.0.0/8"], "10.1.2.3", 80, True),
        (["10.0.0.0/8"], "11.1.2.3", 80, False),
        (["vllm.internal:8000"], "vllm.internal", 8000, True),
        (["vllm.internal:8000"], "vllm.internal", 443, False),
        (["::1"], "[::1]", 443, True),
        (["[::1]:8080"], "::1", 8080, True),
        (["localhost, 127.0.0.1"], "127.0.0.1", 9, True),
        ([], "localhost", 80, False),
    ],
)
def test_no_proxy_semantics(rules: list[str], host: str, port: int, bypass: bool) -> None:
    assert NoProxy.parse(rules).bypasses(host, port) is bypass


def test_parent_url_credentials_become_a_header_never_part_of_the_mode() -> None:
    parent = parse_parent("http://corp:s3cr%40t@proxy.corp:3128")
    assert parent.url == "http://proxy.corp:3128"
    assert parent.authorization == "Basic Y29ycDpzM2NyQHQ="  # corp:s3cr@t
    with pytest.raises(ValueError, match="a proxy URL has no path"):
        load_settings(proxy={"upstream_proxy": "http://corp:pw@proxy/path"})
    with pytest.raises(ValueError, match="host:port") as info:
        load_settings(proxy={"upstream_proxy": "socks5://corp:hunter2@proxy:1080"})
    assert "hunter2" not in str(info.value)


@pytest.mark.integration
async def test_plain_http_calls_reach_the_parent_in_absolute_form_with_its_credentials(
    start_proxy: StartProxy, fake_provider: FakeProvider, parent: ParentProxy, tmp_path: Path
) -> None:
    service = await chained(start_proxy, fake_provider, parent, no_proxy=[])
    async with client(service, tmp_path) as http:
        reply = await http.post("http://api.openai.com/v1/chat/completions", json=BODY)
    assert reply.status_code == 200, reply.text
    assert parent.seen == [f"POST {fake_provider.url}/v1/chat/completions"]
    [record] = records(service)
    assert record["agent"] == "egress-agent"
    [received] = fake_provider.requests
    assert "proxy-authorization" not in received.headers
