"""Proxy credentials are API keys: verified at the proxy against the key directory the control
plane publishes to Redis, with the org taken from the key (a shared proxy serves many orgs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from agentops.settings import Settings
from proxy.ca import write_bundle
from proxy.service import ProxyService
from tests.control_plane.conftest import (  # noqa: F401
    Client,
    Session,
    SignUp,
    api_key,
    client,
    cp_settings,
    signup,
)
from tests.fakeprovider.server import FakeProvider
from tests.harness.cluster import wait_for
from tests.harness.ports import free_port
from tests.proxy.helpers import final_records

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


class SharedProxy:
    """An in-process proxy on the control plane's Redis, requiring credentials."""

    def __init__(self, service: ProxyService, bundle: Path, mp: pytest.MonkeyPatch) -> None:
        self.service = service
        self._bundle = bundle
        self._mp = mp

    async def call(self, agent: str, key: str) -> None:
        host, port = self.service.forward_address
        self._mp.setenv("HTTPS_PROXY", f"http://{agent}:{key}@{host}:{port}")
        self._mp.setenv("SSL_CERT_FILE", str(self._bundle))
        async with openai.AsyncOpenAI(api_key="sk-x", max_retries=0) as c:
            await c.chat.completions.create(model="gpt-4o", messages=HELLO)

    async def refused(self, agent: str, key: str) -> bool:
        """Refused by the proxy: a 407 on the CONNECT (the SDK's connection error) or inside
        an open tunnel."""
        try:
            await self.call(agent, key)
        except openai.APIConnectionError:
            return True
        except openai.APIStatusError as exc:
            return exc.status_code == 407
        return False

    def records(self) -> list[dict[str, Any]]:
        assert self.service.spool.wait_durable(timeout=10)
        return list(final_records(self.service.spool.directory).values())


@pytest.fixture
async def shared_proxy(
    client: Client,  # noqa: F811 (the control plane starts first: it publishes the directory)
    cp_settings: Settings,  # noqa: F811
    make_settings: Callable[..., Settings],
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[SharedProxy]:
    cp = cp_settings.control_plane
    settings = make_settings(
        control_plane={"redis_url": cp.redis_url, "redis_prefix": cp.redis_prefix},
        proxy={
            "listen_port": 0,
            "reverse_port": free_port(),
            "admin_port": free_port(),
            "require_credentials": True,
            "default_org": "nobody",
            "state_resync_seconds": 60,
            "upstream_overrides": {"api.openai.com": fake_provider.url},
        },
    )
    service = ProxyService(settings)
    await service.start()
    await wait_for(service.ready)
    bundle = write_bundle(settings.proxy.ca_dir, tmp_path / "bundle.pem")
    try:
        yield SharedProxy(service, bundle, monkeypatch)
    finally:
        await service.stop()


async def _key(owner: Session, *scopes: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "agent key", "scopes": list(scopes), **extra}
    created: dict[str, Any] = await owner.ok("POST", "/api-keys", 201, json=body)
    return created


async def test_an_ingest_key_is_accepted_and_the_record_carries_its_org(
    signup: SignUp,  # noqa: F811
    shared_proxy: SharedProxy,
) -> None:
    acme, globex = await signup(org="acme"), await signup(org="globex")
    acme_key, globex_key = (
        (await _key(acme, "ingest"))["key"],
        (await _key(globex, "ingest"))["key"],
    )

    await wait_for(lambda: _accepts(shared_proxy, "billing-bot", acme_key))
    await shared_proxy.call("search-bot", globex_key)

    orgs = {(r["org"], r["agent"]) for r in shared_proxy.records()}
    assert orgs == {("acme", "billing-bot"), ("globex", "search-bot")}


async def test_wrong_unknown_and_non_api_keys_are_407(
    signup: SignUp,  # noqa: F811
    shared_proxy: SharedProxy,
    fake_provider: FakeProvider,
) -> None:
    owner = await signup()
    key = (await _key(owner, "ingest"))["key"]
    await wait_for(lambda: _accepts(shared_proxy, "bot", key))
    calls = len(fake_provider.requests)
    public = key[:16]  # aoh_ and the public id

    assert await shared_proxy.refused("bot", f"{public}_{'x' * 43}")  # wrong secret
    assert await shared_proxy.refused("bot", f"aoh_{'z' * 12}_{'x' * 43}")  # unknown key
    assert await shared_proxy.refused("bot", "any-string-at-all")  # not an API key
    assert len(fake_provider.requests) == calls


async def test_a_key_with_only_other_scopes_is_not_proxy_credentials(
    signup: SignUp,  # noqa: F811
    shared_proxy: SharedProxy,
) -> None:
    owner = await signup()
    read_key = (await _key(owner, "read"))["key"]
    ingest_key = (await _key(owner, "ingest"))["key"]
    await wait_for(lambda: _accepts(shared_proxy, "bot", ingest_key))
    assert await shared_proxy.refused("bot", read_key)


async def test_a_revoked_key_is_refused_at_once(
    signup: SignUp,  # noqa: F811
    shared_proxy: SharedProxy,
) -> None:
    owner = await signup()
    created = await _key(owner, "ingest")
    await wait_for(lambda: _accepts(shared_proxy, "bot", created["key"]))

    await owner.ok("DELETE", f"/api-keys/{created['id']}", 204)

    await wait_for(lambda: shared_proxy.refused("bot", created["key"]))


async def test_an_agent_bound_key_works_only_for_its_agent(
    signup: SignUp,  # noqa: F811
    shared_proxy: SharedProxy,
) -> None:
    owner = await signup(org="bound")
    agent = await owner.ok("POST", "/agents", 201, json={"name": "billing-bot"})
    key = (await _key(owner, "ingest", agent_id=agent["id"]))["key"]
    await wait_for(lambda: _accepts(shared_proxy, "billing-bot", key))

    with pytest.raises(openai.PermissionDeniedError) as refused:
        await shared_proxy.call("search-bot", key)

    assert "bound to agent 'billing-bot'" in refused.value.response.text
    assert {r["agent"] for r in shared_proxy.records()} == {"billing-bot"}


async def test_an_expired_key_is_refused(
    signup: SignUp,  # noqa: F811
    shared_proxy: SharedProxy,
) -> None:
    from datetime import UTC, datetime, timedelta

    owner = await signup()
    expires = datetime.now(UTC) + timedelta(seconds=5)
    key = (await _key(owner, "ingest", expires_at=expires.isoformat()))["key"]
    # Accepted once the proxy knows it (a key not yet in its directory is refused as unknown:
    # under load that took long enough to be mistaken for the expiry), refused after it
    # expires: polled, since when is the clock's business.
    await wait_for(lambda: _accepts(shared_proxy, "bot", key))
    await wait_for(lambda: shared_proxy.refused("bot", key))
    assert datetime.now(UTC) >= expires


async def _accepts(proxy: SharedProxy, agent: str, key: str) -> bool:
    return not await proxy.refused(agent, key)
