"""Operational endpoints outside /api/v1: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from control_plane import keys
from control_plane.schemas.common import Health

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    return _json(Health(status="ok"), 200)


READY_DATABASE_TIMEOUT_SECONDS = 1.5


async def readyz(request: web.Request) -> web.Response:
    """Answers within 2 s whatever its dependencies do. PostgreSQL is required (503 without it);
    Redis is not: without it the API still serves (rate limits in process, control state
    published once it returns), so readiness stays 200 with status ``degraded`` naming it."""
    checks = {"database": await _check_database(request.app)}
    redis = request.app[keys.REDIS]
    if redis is None:
        checks["redis"] = "not configured"
    else:
        try:
            async with asyncio.timeout(0.4):
                await redis.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("readiness: redis unreachable", extra={"error": type(exc).__name__})
            checks["redis"] = (
                f"degraded: {type(exc).__name__} (rate limits in process; control state "
                "reaches proxies when Redis returns)"
            )
    if checks["database"] != "ok":
        return _json(Health(status="not ready", checks=checks), 503)
    status = "ready" if checks["redis"] in ("ok", "not configured") else "degraded"
    return _json(Health(status=status, checks=checks), 200)


async def _check_database(app: web.Application) -> str:
    try:
        async with asyncio.timeout(READY_DATABASE_TIMEOUT_SECONDS):
            async with app[keys.DATABASE].engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
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
