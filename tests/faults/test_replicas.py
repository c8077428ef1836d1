"""Several control-plane replicas: 3 ``agentops serve`` processes, each running its worker
(0.2 s ticks), on one PostgreSQL and one Redis.

Due when they start: alert deliveries to a local webhook receiver (channel tests and a
budget's auto-pause notice) and a budget period rollover (a pause from an ended period to
lift). Each must happen exactly once: the receiver counts deliveries by their webhook id, the
audit log counts the pause lifted, and ``job_runs`` shows each job claimed by one replica at a
time (``control_plane.jobs.scheduler``).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp import web

from tests.faults.harness import Figures, OwnRedis
from tests.harness.cluster import SECRET, Cluster, running_cluster, wait_for
from tests.harness.ports import free_port

REPLICAS = 3
HOURLY = ("ensure_partitions_job", "retention_job")  # due once an hour
TESTS_QUEUED = 5
SERVE_MAIN = "from cli.serve_cmd import serve; serve(prog_name='agentops serve')"


class Receiver:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.ids[request.headers.get("webhook-id", "?")] += 1
        return web.Response(status=204)


@asynccontextmanager
async def receiving() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield receiver, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


def _serve(pg_url: str, cluster: Cluster, home: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "AGENTOPS_HOME": str(home),
        "AGENTOPS_LOG_FORMAT": "text",
        "AGENTOPS_CONTROL_PLANE__DATABASE_URL": pg_url,
        "AGENTOPS_CONTROL_PLANE__REDIS_URL": cluster.redis_url,
        "AGENTOPS_CONTROL_PLANE__REDIS_PREFIX": cluster.prefix,
        "AGENTOPS_CONTROL_PLANE__APP_ROLE": "agentops_app",
        "AGENTOPS_CONTROL_PLANE__SECRET_KEY": SECRET,
        "AGENTOPS_CONTROL_PLANE__WORKER_INTERVAL_SECONDS": "0.2",
        "AGENTOPS_CONTROL_PLANE__ALERT_ALLOWED_INTERNAL_HOSTS": '["127.0.0.1"]',
    }
    home.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-c", SERVE_MAIN, "--host", "127.0.0.1", "--port", str(port)]
    with (home / "serve.log").open("wb") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, port


async def _healthy(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return response.status == 200
    except aiohttp.ClientError:
        return False


def _sql(pg_url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        cursor = conn.execute(query, args)
        return cursor.fetchall() if cursor.description else []


async def _ingest(cluster: Cluster, cost: str) -> None:
    now = datetime.now(UTC).isoformat()
    record = {
        "call_id": str(uuid.uuid4()), "org": cluster.org, "agent": "bot", "run_id": "r1",
        "provider": "openai", "endpoint": "chat.completions", "model_requested": "gpt-4o-mini",
        "status": "ok", "http_status": 200, "tokens": {"input": 100, "output": 20},
        "cost": {"total_usd": cost}, "started_at": now, "ended_at": now,
    }  # fmt: skip
    headers = {"Authorization": f"Bearer {cluster.ingest_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{cluster.url}/api/v1/ingest/batch", json={"records": [record]}, headers=headers
        ) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        assert body["rejected"] == 0, body


# Three control planes started on a shared machine: more than the default.
@pytest.mark.timeout(300)
async def test_three_replicas_run_each_due_job_once(
    pg_url: str, own_redis: OwnRedis, tmp_path: Path, figures_path: Path
) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    async with (
        receiving() as (receiver, hook),
        running_cluster(
            pg_url,
            own_redis.url,
            tmp_path,
            proxies=0,
            control_plane={"alert_allowed_internal_hosts": ["127.0.0.1"]},
        ) as cluster,
    ):
        await cluster.api("POST", "/agents", {"name": "bot"})
        channel = await cluster.api("POST", "/alerts/channels", {
            "name": "ops", "kind": "webhook", "url": hook,
        })  # fmt: skip
        await cluster.api("POST", "/budgets", {
            "name": "bot-daily", "scope": "agent", "target": "bot", "period": "daily",
            "limit_usd": "1", "auto_pause_at_percent": 50,
        })  # fmt: skip
        await _ingest(cluster, "0.6")  # 60%: paused, and an auto-pause notice queued
        for _ in range(TESTS_QUEUED):
            await cluster.api("POST", f"/alerts/channels/{channel['id']}/test")
        # The pause belongs to a period that has ended: the next rollover lifts it.
        await asyncio.to_thread(_sql, pg_url, "UPDATE budgets SET paused_period_key = '2000-01-01'")
        [(due,)] = await asyncio.to_thread(
            _sql, pg_url, "SELECT count(*) FROM alert_deliveries WHERE status = 'pending'"
        )

        started = time.monotonic()
        try:
            ports = []
            for index in range(REPLICAS):
                process, port = await asyncio.to_thread(
                    _serve, pg_url, cluster, tmp_path / f"replica-{index}"
                )
                processes.append(process)
                ports.append(port)
            for port in ports:
                await wait_for(lambda port=port: _healthy(port), deadline=60)
            await wait_for(lambda: sum(receiver.ids.values()) >= due, deadline=60)
            done_after = time.monotonic() - started
            await asyncio.sleep(3.0)  # 15 more ticks of each replica: nothing more may happen
            runners = await asyncio.to_thread(
                _sql, pg_url, "SELECT name, last_runner, runs FROM job_runs WHERE runs > 0"
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        lifted = await asyncio.to_thread(
            _sql, pg_url, "SELECT count(*) FROM audit_logs WHERE actor_type = 'system'"
            " AND action LIKE %s", "%resume%",
        )  # fmt: skip
        paused = await asyncio.to_thread(
            _sql, pg_url, "SELECT paused_period_key FROM budgets WHERE name = 'bot-daily'"
        )
        sent = await asyncio.to_thread(
            _sql, pg_url, "SELECT status, count(*) FROM alert_deliveries GROUP BY status"
        )

    delivered = sum(receiver.ids.values())
    figures = Figures(
        f"{REPLICAS} control-plane replicas, their workers on one PostgreSQL",
        answered=due,
        stored=len(receiver.ids),
        duplicated=delivered - len(receiver.ids),
        seconds_to_recover=round(done_after, 2),
        extra={
            "deliveries_due": due,
            "deliveries_received": delivered,
            "period_rollovers_lifted": lifted[0][0],
            "replicas_that_ran_jobs": len({runner for _, runner, _ in runners}),
            "hourly_job_runs": {name: n for name, _, n in runners if name in HOURLY},
            "deliveries_by_status": dict(sent),
        },
    )
    figures.report(figures_path)
    assert due == TESTS_QUEUED + 1
    assert delivered == len(receiver.ids) == due  # none twice, none lost
    assert dict(sent) == {"delivered": due}
    assert lifted[0][0] == 1  # the rollover lifted the pause once
    assert paused == [(None,)]
    ran = {name: n for name, _, n in runners}
    assert set(ran) >= {"deliver_alerts", "resume_paused_budgets", *HOURLY}
    # Each replica's worker ticked ~50 times and would have run these once at its start:
    # once across the three, once per due time.
    assert {name: ran[name] for name in HOURLY} == dict.fromkeys(HOURLY, 1)
