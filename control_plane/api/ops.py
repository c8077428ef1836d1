"""Operational endpoints outside /api/v1: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from redis.exceptions import RedisError

from control_plane import app_keys
from control_plane.schemas.common import Health
from control_plane.store.errors import SQLAlchemyError

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    return _json(Health(status="ok"), 200)


READY_DATABASE_TIMEOUT_SECONDS = 1.5  # both checks run at once: /readyz answers within 2 s
READY_REDIS_TIMEOUT_SECONDS = 1.5


async def readyz(request: web.Request) -> web.Response:
    """Answers within 2 s whatever its dependencies do. PostgreSQL is required (503 without it);
    Redis is not: without it the API still serves (rate limits in process, control state
    published once it returns), so readiness stays 200 with status ``degraded`` naming it."""
    database, redis = await asyncio.gather(_check_database(request.app), _check_redis(request.app))
    checks = {"database": database, "redis": redis}
    if checks["database"] != "ok":
        return _json(Health(status="not ready", checks=checks), 503)
    status = "ready" if checks["redis"] in ("ok", "not configured") else "degraded"
    return _json(Health(status=status, checks=checks), 200)


async def _check_redis(app: web.Application) -> str:
    redis = app[app_keys.REDIS]
    if redis is None:
        return "not configured"
    try:
        async with asyncio.timeout(READY_REDIS_TIMEOUT_SECONDS):
            await redis.ping()
        return "ok"
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("readiness: redis unreachable", extra={"error": type(exc).__name__})
        return (
            f"degraded: {type(exc).__name__} (rate limits in process; control state "
            "reaches proxies when Redis returns)"
        )


async def _check_database(app: web.Application) -> str:
    try:
        await app[app_keys.DATABASE].ping(READY_DATABASE_TIMEOUT_SECONDS)
        return "ok"
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("readiness: database unreachable", extra={"error": type(exc).__name__})
        return f"error: {type(exc).__name__}"


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _json(model: Health, status: int) -> web.Response:
    return web.Response(
        text=model.model_dump_json(), status=status, content_type="application/json"
    )
