"""The one app factory of the control plane.

Resources are opened and closed in ``cleanup_ctx``, in order: database (refusing a schema
it does not know), Redis and the rate limiter, then the worker's task set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import connect as connect_redis
from agentops.tasks import TaskSet
from control_plane import app_keys
from control_plane.auth.passwords import Passwords
from control_plane.auth.throttle import LoginThrottle
from control_plane.console.mount import mount_console
from control_plane.jobs.scheduler import Worker
from control_plane.middlewares import json_errors, request_context
from control_plane.ratelimit import DegradingRateLimiter, MemoryRateLimiter, RedisRateLimiter
from control_plane.routes import add_routes
from control_plane.secretbox import load_box
from control_plane.services.budget_watch import budget_jobs_context
from control_plane.services.control_state import state_bus_context
from control_plane.services.prices import PriceCache
from control_plane.store.engine import bounded_postgres_options, create_database
from control_plane.store.migrate import check_current

REDIS_TIMEOUT_SECONDS = 1.0


def create_app(settings: Settings) -> web.Application:
    cp = settings.control_plane
    app = web.Application(
        middlewares=[request_context, json_errors], client_max_size=cp.max_body_bytes
    )
    app[app_keys.SETTINGS] = settings
    app[app_keys.SECRET_BOX] = load_box(settings)
    app[app_keys.PRICE_CACHE] = PriceCache()
    app.cleanup_ctx.extend(
        [_database, _passwords, _redis, _worker, state_bus_context, budget_jobs_context]
    )
    add_routes(app)
    mount_console(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    cp = app[app_keys.SETTINGS].control_plane
    bounded: dict[str, Any] = {}
    if cp.database_url.startswith("postgresql"):
        bounded = bounded_postgres_options(
            cp.database_timeout_seconds, cp.statement_timeout_seconds
        )
    database = create_database(
        cp.database_url,
        app_role=cp.app_role,
        start_timeout_seconds=cp.database_timeout_seconds,
        pool_pre_ping=True,
        **bounded,
    )
    try:
        await check_current(database.engine, cp.app_role)
        app[app_keys.DATABASE] = database
        yield
    finally:
        await database.dispose()


async def _passwords(app: web.Application) -> AsyncIterator[None]:
    cp = app[app_keys.SETTINGS].control_plane
    passwords = Passwords(
        fast=cp.password_hash_fast,
        concurrency=cp.auth.password_hash_concurrency,
        queue=cp.auth.password_hash_queue,
    )
    app[app_keys.PASSWORDS] = passwords
    try:
        yield
    finally:
        passwords.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    cp = app[app_keys.SETTINGS].control_plane
    window = cp.auth.login_window_seconds
    if cp.redis_url is None:
        app[app_keys.REDIS] = None
        app[app_keys.RATE_LIMITER] = MemoryRateLimiter()
        app[app_keys.LOGIN_THROTTLE] = LoginThrottle(None, cp.redis_prefix, window)
        yield
        return
    # Bounded and without hidden retries: no request waits on a dead Redis for longer than this.
    client: Redis[bytes] = connect_redis(
        cp.redis_url, timeout_seconds=REDIS_TIMEOUT_SECONDS, client_name="agentops-control-plane"
    )
    app[app_keys.REDIS] = client
    app[app_keys.RATE_LIMITER] = DegradingRateLimiter(RedisRateLimiter(client, cp.redis_prefix))
    app[app_keys.LOGIN_THROTTLE] = LoginThrottle(client, cp.redis_prefix, window)
    try:
        yield
    finally:
        await client.aclose()  # type: ignore[attr-defined]  # types-redis predates aclose


async def _worker(app: web.Application) -> AsyncIterator[None]:
    cp = app[app_keys.SETTINGS].control_plane
    tasks = TaskSet("control-plane")
    worker = Worker(app, cp.worker_interval_seconds)
    app[app_keys.TASKS] = tasks
    app[app_keys.WORKER] = worker
    if cp.run_worker:
        tasks.spawn(worker.run(), name="control-plane-worker")
    try:
        yield
    finally:
        await tasks.close()
