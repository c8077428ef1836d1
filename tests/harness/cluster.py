"""A real deployment in miniature: the control plane (in this process, on PostgreSQL and Redis),
N ``agentops proxy`` processes fed from Redis, and the fake provider upstream.

Used by the end-to-end tests and by ``bench/propagation_e2e.py``. Proxies are separate OS
processes configured only through ``AGENTOPS_*`` environment variables, as in a deployment.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import openai
import redis.asyncio as aioredis
from click.testing import CliRunner, Result

from agentops.settings import load_settings
from control_plane.server import ControlPlaneServer
from tests.fakeprovider.server import FakeProvider, start_fake_provider
from tests.harness.ports import free_port
from tests.proxy.helpers import final_records

ROOT = Path(__file__).resolve().parents[2]
PROXY_MAIN = "from cli.proxy_cmd import proxy; proxy(prog_name='agentops proxy')"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"


async def wait_for(predicate: Callable[[], Any], *, deadline: float = 30.0) -> None:
    """Poll an async or sync condition that another process brings about. The deadline is a
    safety net against a hung test, not an assertion about speed."""
    async with asyncio.timeout(deadline):
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)


@dataclass
class ProxyProcess:
    proxy_id: str
    home: Path
    reverse_port: int
    admin_port: int
    process: subprocess.Popen[bytes]
    stopped: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.reverse_port}/openai/v1"

    @property
    def log(self) -> str:
        return (self.home / "proxy.log").read_text(errors="replace")

    def openai(self, agent: str, **headers: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key="sk-test-not-a-secret",
            max_retries=0,
            default_headers={"x-agentops-agent": agent, **headers},
        )

    def records(self) -> dict[str, dict[str, Any]]:
        return final_records(self.home / "spool")

    def freeze(self) -> None:
        """SIGSTOP: the process holds its sockets but reads nothing (a hung or partitioned pod)."""
        self.process.send_signal(signal.SIGSTOP)
        self.stopped = True

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.stopped = False

    async def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"proxy {self.proxy_id} exited:\n{self.log}")
        try:
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{self.admin_port}/readyz"
                async with session.get(url) as response:
                    return response.status == 200
        except aiohttp.ClientError:
            return False

    def stop(self) -> None:
        if self.stopped:
            self.thaw()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Cluster:
    control_plane: ControlPlaneServer
    provider: FakeProvider
    redis_url: str
    prefix: str
    org: str
    token: str  # the owner's access token
    ingest_key: str
    proxies: list[ProxyProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.control_plane.url

    async def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, f"{self.url}/api/v1{path}", json=body, headers=headers
            ) as response,
        ):
            data = await response.json() if response.content_length != 0 else None
            if response.status >= 300:
                raise AssertionError(f"{method} {path} -> {response.status}: {data}")
            return data

    async def cli(self, command: Any, *args: str, token: str | None = None) -> Result:
        """Run a click command of ours (CliRunner, exceptions re-raised) against this cluster.
        In a thread: the command blocks on HTTP while this loop serves the control plane."""
        env = {"AGENTOPS_URL": self.url, "AGENTOPS_TOKEN": token or self.token}
        runner = CliRunner()
        return await asyncio.to_thread(
            runner.invoke, command, list(args), env=env, catch_exceptions=False
        )

    async def all_applied(self) -> bool:
        """Every proxy reports holding the org's current control-state version."""
        status = await self.api("GET", "/emergency")
        applied = {p["proxy_id"] for p in status["proxies"] if p["applied"]}
        return applied >= {proxy.proxy_id for proxy in self.proxies}

    async def start_proxy(
        self,
        *,
        resync_seconds: float = 5.0,
        settings: dict[str, str] | None = None,
        wait_ready: bool = True,
        home: Path | None = None,
        ship: bool = False,
        **proxy_settings: str,
    ) -> ProxyProcess:
        """``settings``: more ``AGENTOPS_*`` variables (they win over the defaults below);
        ``proxy_settings``: more ``AGENTOPS_PROXY__*`` ones, by lower-case name; ``home``: a
        stopped proxy's home, to restart it on its spool as a pod restarts on its volume;
        ``ship``: records go to the control plane (else they stay in the spool for the test to
        read)."""
        index = len(self.proxies)
        home = home or Path(tempfile.mkdtemp(prefix="agentops-e2e-"))
        proxy_id = f"proxy-{index}-{uuid.uuid4().hex[:6]}"
        reverse_port, admin_port = free_port(), free_port()
        # The child inherits PATH and friends, never this process's AGENTOPS_* settings.
        inherited = os.environ.items()
        env = {k: v for k, v in inherited if not k.startswith("AGENTOPS_")}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            env.pop(name, None)
        env |= {
            "PYTHONPATH": str(ROOT),
            "AGENTOPS_HOME": str(home),
            "AGENTOPS_LOG_FORMAT": "text",
            "AGENTOPS_CONTROL_PLANE__REDIS_URL": self.redis_url,
            "AGENTOPS_CONTROL_PLANE__REDIS_PREFIX": self.prefix,
            "AGENTOPS_PROXY__DEFAULT_ORG": self.org,
            "AGENTOPS_PROXY__PROXY_ID": proxy_id,
            "AGENTOPS_PROXY__ADMIN_PORT": str(admin_port),
            "AGENTOPS_PROXY__CONTROL_PLANE_URL": self.url,
            "AGENTOPS_PROXY__API_KEY": self.ingest_key,
            "AGENTOPS_PROXY__HEARTBEAT_SECONDS": "0.2",
            "AGENTOPS_PROXY__STATE_RESYNC_SECONDS": str(resync_seconds),
            # Records stay in the spool where the tests read them, unless shipped.
            "AGENTOPS_PROXY__SHIP_INTERVAL_SECONDS": "0.1" if ship else "3600",
            "AGENTOPS_PROXY__SHIP_BATCH_SIZE": "100" if ship else "100000",
        } | (settings or {})
        env |= {f"AGENTOPS_PROXY__{name.upper()}": value for name, value in proxy_settings.items()}
        args = [sys.executable, "-c", PROXY_MAIN, "--listen", "127.0.0.1:0",
                "--reverse-port", str(reverse_port),
                "--upstream", f"api.openai.com={self.provider.url}"]  # fmt: skip
        process = await asyncio.to_thread(_spawn, args, env, home / "proxy.log")
        proxy = ProxyProcess(proxy_id, home, reverse_port, admin_port, process)
        self.proxies.append(proxy)
        if wait_ready:
            await wait_for(proxy.ready)
        return proxy

    def stop_proxies(self) -> None:
        for proxy in reversed(self.proxies):
            proxy.stop()
            shutil.rmtree(proxy.home, ignore_errors=True)

    async def kill_state_connections(self, proxy: ProxyProcess) -> int:
        """CLIENT KILL every Redis connection of one proxy's state source."""
        client: aioredis.Redis[Any] = aioredis.Redis.from_url(self.redis_url)
        killed = 0
        try:
            for entry in await client.client_list():
                if entry.get("name") == f"agentops-proxy-state:{proxy.proxy_id}":
                    await client.client_kill_filter(_id=entry["id"])
                    killed += 1
        finally:
            await client.aclose()  # type: ignore[attr-defined]
        return killed


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


@asynccontextmanager
async def running_cluster(
    database_url: str,
    redis_url: str,
    home: Path,
    *,
    proxies: int,
    resync_seconds: float = 5.0,
    control_plane: dict[str, Any] | None = None,
    operator: bool = False,
) -> AsyncIterator[Cluster]:
    """``control_plane``: settings that override the defaults below (a worker, timeouts);
    ``operator``: the cluster's org is the operator org (may mint ingest:any-org keys)."""
    prefix = f"e2e{uuid.uuid4().hex[:8]}:"
    org = f"org-{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        home=home,
        control_plane={
            "host": "127.0.0.1",
            "port": 0,
            "database_url": database_url,
            "redis_url": redis_url,
            "redis_prefix": prefix,
            "app_role": "agentops_app",
            "password_hash_fast": True,
            "secret_key": SECRET,
            "run_worker": False,
            "operator_org": org if operator else None,
        }
        | (control_plane or {}),
    )
    async with AsyncExitStack() as stack:
        provider = await start_fake_provider()
        stack.push_async_callback(provider.stop)
        control_plane = ControlPlaneServer(settings)
        await control_plane.start()
        stack.push_async_callback(control_plane.stop)
        token, ingest_key = await _owner_and_key(control_plane.url, org)
        cluster = Cluster(control_plane, provider, redis_url, prefix, org, token, ingest_key)
        stack.callback(cluster.stop_proxies)
        for _ in range(proxies):
            await cluster.start_proxy(resync_seconds=resync_seconds)
        yield cluster


async def _owner_and_key(url: str, org: str) -> tuple[str, str]:
    body = {"email": f"owner@{org}.example.com", "password": "correct horse",
            "org_name": org, "org_slug": org}  # fmt: skip
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/api/v1/auth/signup", json=body) as response:
            assert response.status == 202, await response.text()
        login = {"email": body["email"], "password": body["password"]}
        async with session.post(f"{url}/api/v1/auth/login", json=login) as response:
            token = str((await response.json())["access_token"])
        key_body = {"name": "proxies", "scopes": ["ingest"]}
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(f"{url}/api/v1/api-keys", json=key_body, headers=headers) as r:
            assert r.status == 201, await r.text()
            key = str((await r.json())["key"])
    return token, key
