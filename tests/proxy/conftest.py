"""Fixtures of the proxy tests: a real ProxyService (real mitmproxy) on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from agentops.settings import Settings, load_settings
from proxy.service import ProxyService
from tests.fakeprovider.fixtures import fake_provider  # noqa: F401
from tests.fakeprovider.server import FakeProvider
from tests.harness.otlp import Receiver, running_receiver
from tests.harness.ports import free_port

StartProxy = Callable[..., Awaitable[ProxyService]]


@pytest.fixture
def proxy_settings(tmp_path: Path) -> Callable[..., Settings]:
    def factory(**proxy: Any) -> Settings:
        fields: dict[str, Any] = {
            "listen_port": 0,
            "reverse_port": free_port(),
            "admin_port": free_port(),
        }
        fields.update(proxy)
        return load_settings(home=tmp_path / "home", proxy=fields)

    return factory


@pytest.fixture
async def start_proxy(
    proxy_settings: Callable[..., Settings],
) -> AsyncIterator[StartProxy]:
    """Start a proxy with ProxySettings overrides; every proxy started is stopped after the test."""
    started: list[ProxyService] = []

    async def start(sink: Any = None, gate: Any = None, **proxy: Any) -> ProxyService:
        service = ProxyService(proxy_settings(**proxy), sink=sink, gate=gate)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        await service.stop()


@pytest.fixture
def otel_settings(
    proxy_settings: Callable[..., Settings],
    fake_provider: FakeProvider,  # noqa: F811 (the fixture imported above)
) -> Callable[[str], Settings]:
    """Settings of a proxy to the fake provider exporting OpenTelemetry to an endpoint."""

    def factory(endpoint: str) -> Settings:
        upstream = {"api.openai.com": fake_provider.url}
        return proxy_settings(upstream_overrides=upstream, otlp_endpoint=endpoint)

    return factory


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A live OTLP/HTTP receiver (``proxy.otlp_endpoint``)."""
    async with running_receiver() as found:
        yield found


@pytest.fixture(autouse=True)
def _no_ambient_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their proxy environment explicitly."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
