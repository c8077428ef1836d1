"""The embeddable service: start on a free port, answer health/readiness/metrics, stop cleanly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import aiohttp

from agentops.settings import Settings
from control_plane import app_keys
from control_plane.jobs.context import JobContext
from control_plane.jobs.scheduler import Job, Scheduler
from control_plane.server import ControlPlaneServer
from control_plane.store.migrate import upgrade
from tests.control_plane.conftest import Client


async def test_embedded_service_on_sqlite_serves_health_and_metrics(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(control_plane={"port": 0, "password_hash_fast": True})
    upgrade(settings.control_plane.database_url)
    service = ControlPlaneServer(settings)
    await service.start()
    try:
        async with aiohttp.ClientSession(service.url) as http:
            async with http.get("/healthz") as response:
                assert (response.status, await response.json()) == (
                    200,
                    {"status": "ok", "checks": {}},
                )
            async with http.get("/readyz") as response:
                body = await response.json()
                assert response.status == 200
                assert body["checks"] == {"database": "ok", "redis": "not configured"}
            async with http.get("/metrics") as response:
                assert "agentops_api_requests_total" in await response.text()
            async with http.get("/api/v1/openapi.json") as response:
                assert (await response.json())["openapi"] == "3.1.0"
    finally:
        await service.stop()


async def test_stopping_leaves_no_task_and_no_thread_of_the_service_running(
    make_settings: Callable[..., Settings],
) -> None:
    """Stopped at once, mostly while its worker's first tick is in flight (on SQLite: a driver
    thread per connection), and after a password hash (a hashing thread)."""
    settings = make_settings(control_plane={"port": 0, "password_hash_fast": True})
    upgrade(settings.control_plane.database_url)
    threads_before = set(threading.enumerate())
    tasks_before = asyncio.all_tasks()
    service = ControlPlaneServer(settings)
    await service.start()
    await service.app[app_keys.PASSWORDS].hash("correct horse")
    await service.stop()

    assert asyncio.all_tasks() == tasks_before
    # The test loop's own default executor threads (asyncio.to_thread) end when the loop closes.
    for thread in set(threading.enumerate()) - threads_before:
        if not thread.name.startswith("asyncio_"):
            thread.join()  # one still running would hang here, until the test's timeout


async def test_readiness_checks_redis_when_configured(
    pg_url: str, redis_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        control_plane={"port": 0, "database_url": pg_url, "redis_url": redis_url}
    )
    service = ControlPlaneServer(settings)
    await service.start()
    try:
        async with aiohttp.ClientSession(service.url) as http, http.get("/readyz") as response:
            assert (await response.json())["checks"] == {"database": "ok", "redis": "ok"}
    finally:
        await service.stop()


async def test_a_failing_worker_job_is_logged_and_the_others_still_run(client: Client) -> None:
    ran: list[str] = []

    async def broken(context: JobContext) -> None:
        raise RuntimeError("boom")

    async def fine(context: JobContext) -> None:
        ran.append("fine")

    context = client.server.app[app_keys.JOB_CONTEXT]
    scheduler = Scheduler(context, [Job("broken", broken), Job("fine", fine)], interval=0.01)
    await scheduler.tick()
    await scheduler.tick()
    assert (ran, scheduler.ticks) == (["fine", "fine"], 2)
