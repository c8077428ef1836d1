"""The embedded stack: control plane, web console, worker and proxy in one process, one loop.

``agentops up`` builds an :class:`EmbeddedStack` and prints what it started. The stack owns the
order of things: migrate the SQLite store, start the control plane, create the default org's
admin and the proxy's ingest key on first start, then start the proxy wired in-process (records
straight to ingest, control state from the in-memory bus, hard-budget counters shared). The proxy
itself is built by the caller's factory, so the control plane never imports the proxy.

Settings are never mutated: the stack derives the proxy's settings with ``model_copy``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from agentops.heap import settle_heap
from agentops.settings import Settings
from agentops.statebus.memory import MemoryStateBus
from agentops.statebus.spend import SpendCounters
from control_plane import app_keys
from control_plane.embedded_sink import EmbeddedSink
from control_plane.maintenance import reseal_secrets
from control_plane.server import ControlPlaneServer
from control_plane.services.spend_rebuild import rebuild_all
from control_plane.store.migrate import upgrade

ADMIN_EMAIL = "admin@agentops.local"
ADMIN_FILE = "embedded-admin.json"


class EmbeddedStartError(Exception):
    """The embedded org could not be set up (its API answered an error)."""


class EmbeddedProxy(Protocol):
    async def ship_backlog(self) -> int: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass(frozen=True)
class ProxyWiring:
    """What the embedded proxy shares with the control plane instead of using the network."""

    settings: Settings
    sink: EmbeddedSink
    state_bus: MemoryStateBus
    counters: SpendCounters


@dataclass(frozen=True)
class Admin:
    """The default org's owner and the embedded proxy's ingest key (in ``<home>/embedded-admin.json``,
    mode 0600; ``agentops login`` reads it)."""

    email: str
    password: str
    org: str
    proxy_key: str
    api_url: str


class EmbeddedStack[P: EmbeddedProxy]:
    """Start with :meth:`start`, stop with :meth:`stop`; in between ``url``, ``admin``,
    ``sign_in_link``, ``proxy`` and the proxy's ``settings`` describe what runs."""

    def __init__(self, settings: Settings, proxy_factory: Callable[[ProxyWiring], P]) -> None:
        self.settings = settings
        self._proxy_factory = proxy_factory
        self._control_plane: ControlPlaneServer | None = None
        self._proxy: P | None = None
        self._admin: Admin | None = None
        self.sign_in_link = ""

    @property
    def admin_file(self) -> Path:
        return self.settings.home / ADMIN_FILE

    @property
    def url(self) -> str:
        assert self._control_plane is not None, "start() first"
        return self._control_plane.url

    @property
    def admin(self) -> Admin:
        assert self._admin is not None, "start() first"
        return self._admin

    @property
    def proxy(self) -> P:
        assert self._proxy is not None, "start() first"
        return self._proxy

    async def start(self) -> None:
        """Everything up, or nothing left running if a step fails."""
        url = self.settings.control_plane.database_url
        # Embedded SQLite is ours to migrate; a shared database is migrated by `agentops migrate`.
        upgrade(url)
        await reseal_secrets(url, self.settings)  # rows from older versions
        self._control_plane = ControlPlaneServer(self.settings)
        await self._control_plane.start()
        try:
            await self._start_proxy()
        except BaseException:
            await self.stop()
            raise

    async def _start_proxy(self) -> None:
        self._admin = await self._ensure_admin()
        self.sign_in_link = await self._sign_in_link()
        # Records go in-process (the sink below); the URL and key serve the heartbeat only.
        proxy_settings = self.settings.proxy.model_copy(
            update={"control_plane_url": self.url, "api_key": SecretStr(self._admin.proxy_key)}
        )
        self.settings = self.settings.model_copy(update={"proxy": proxy_settings})
        app = self._control_plane_app()
        memory = app[app_keys.STATE_BUS].memory
        assert memory is not None, "the embedded control plane keeps its state in memory"
        # The proxy reserves against the counters the control plane rebuilt from the store at
        # start, so a restart does not reset a hard budget.
        sink = EmbeddedSink(
            app[app_keys.DATABASE],
            self.settings.proxy.default_org,
            self.settings.control_plane.timezone,
        )
        wiring = ProxyWiring(self.settings, sink, memory, app[app_keys.SPEND_COUNTERS])
        self._proxy = self._proxy_factory(wiring)
        await self._proxy.ship_backlog()  # calls answered before the last stop, now stored
        await rebuild_all(
            app[app_keys.DATABASE], app[app_keys.SPEND_COUNTERS]
        )  # so the counters count them before any call is gated
        await self._proxy.start()
        settle_heap()

    async def stop(self) -> None:
        proxy, self._proxy = self._proxy, None
        control_plane, self._control_plane = self._control_plane, None
        try:
            if proxy is not None:
                await proxy.stop()
        finally:
            if control_plane is not None:
                await control_plane.stop()

    def _control_plane_app(self) -> web.Application:
        assert self._control_plane is not None, "start() first"
        return self._control_plane.app

    async def _ensure_admin(self) -> Admin:
        """Create the default org's owner, and the embedded proxy's ingest key, on first start.

        Both credentials live in a 0600 file under the home; the key lets the proxy report its
        state version (``agentops status``) like a deployed sidecar does.
        """
        path = self.admin_file
        if path.exists():
            # The port may differ from the last start: `agentops login` reads the URL from here.
            admin = Admin(**(json.loads(path.read_text()) | {"api_url": self.url}))
            _write_private(path, json.dumps(admin.__dict__))
            return admin
        org = self.settings.proxy.default_org
        password = secrets.token_urlsafe(12)
        signup = {
            "email": ADMIN_EMAIL,
            "password": password,
            "org_name": "Default",
            "org_slug": org,
        }
        async with aiohttp.ClientSession(base_url=self.url) as session:
            await _post(session, "/api/v1/auth/signup", signup, None)
            login = {"email": ADMIN_EMAIL, "password": password, "org": org}
            tokens = await _post(session, "/api/v1/auth/login", login, None)
            key = await _post(
                session,
                "/api/v1/api-keys",
                {"name": "embedded-proxy", "scopes": ["ingest"]},
                str(tokens["access_token"]),
            )
        admin = Admin(ADMIN_EMAIL, password, org, str(key["key"]), self.url)
        _write_private(path, json.dumps(admin.__dict__))
        return admin

    async def _sign_in_link(self) -> str:
        """A console link that signs the embedded admin in once: it carries a fresh refresh
        token, which the console exchanges on first use (a second use is refused)."""
        admin = self.admin
        login = {"email": admin.email, "password": admin.password, "org": admin.org}
        async with aiohttp.ClientSession(base_url=self.url) as session:
            tokens = await _post(session, "/api/v1/auth/login", login, None)
        return f"{self.url}/login/link?token={tokens['refresh_token']}"


async def _post(
    session: aiohttp.ClientSession, path: str, body: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(path, json=body, headers=headers) as response:
        if response.status not in (200, 201, 202):
            raise EmbeddedStartError(
                f"could not set up the embedded org ({path}): "
                f"{response.status} {await response.text()}"
            )
        answer: dict[str, Any] = await response.json()
        return answer


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)
