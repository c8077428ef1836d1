"""The embeddable service: start on a free port, answer health/readiness/metrics, stop cleanly."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from aiohttp import web

from agentops.settings import Settings
from control_plane.jobs.scheduler import Worker
from control_plane.server import ControlPlaneServer
from control_plane.store.migrate import upgrade


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


async def test_a_failing_worker_job_is_logged_and_the_others_still_run() -> None:
    ran: list[str] = []

    async def broken(app: web.Application) -> None:
        raise RuntimeError("boom")

    async def fine(app: web.Application) -> None:
        ran.append("fine")

    worker = Worker(web.Application(), interval=0.01, jobs=(broken, fine))
    await worker.tick()
    await worker.tick()
    assert (ran, worker.ticks) == (["fine", "fine"], 2)
