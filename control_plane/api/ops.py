"""Operational endpoints outside /api/v1: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

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


async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    try:
        async with request.app[keys.DATABASE].engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness: database unreachable", extra={"error": type(exc).__name__})
        checks["database"] = f"error: {type(exc).__name__}"
    redis = request.app[keys.REDIS]
    if redis is None:
        checks["redis"] = "not configured"
    else:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError) as exc:
            log.warning("readiness: redis unreachable", extra={"error": type(exc).__name__})
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v in ("ok", "not configured") for v in checks.values())
    return _json(
        Health(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
    )


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _json(model: Health, status: int) -> web.Response:
    return web.Response(
        text=model.model_dump_json(), status=status, content_type="application/json"
    )
