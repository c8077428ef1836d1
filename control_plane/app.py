"""The one app factory of the control plane.

Resources are opened and closed in ``cleanup_ctx``, in order: database (refusing a schema
it does not know), Redis and the rate limiter, the state bus (republished once at start), the
spend counters (rebuilt from the store at start), then the scheduler of ``JOBS``, the one list
of background work.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import MemorySpendCounters, RedisSpendCounters, SpendCounters
from agentops.statebus import connect as connect_redis
from agentops.tasks import TaskSet
from control_plane import app_keys
from control_plane.auth.passwords import Passwords
from control_plane.auth.throttle import LoginThrottle
from control_plane.console.mount import mount_console
from control_plane.jobs import budgets, control_state, open_calls, partitions
from control_plane.jobs.context import JobContext
from control_plane.jobs.scheduler import Job, Scheduler
from control_plane.middlewares import json_errors, request_context
from control_plane.ratelimit import DegradingRateLimiter, MemoryRateLimiter, RedisRateLimiter
from control_plane.routes import add_routes
from control_plane.secretbox import load_box
from control_plane.services import spend_rebuild
from control_plane.services.control_state import open_state_bus, republish
from control_plane.services.prices import PriceCache
from control_plane.store.engine import bounded_postgres_options, create_database
from control_plane.store.migrate import check_current

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
COUNTER_TIMEOUT_SECONDS = 2.0

# Every background job, in the order of each tick. A job's name is its row in ``job_runs``.
JOBS: tuple[Job, ...] = (
    Job("ensure_partitions_job", partitions.ensure_partitions, every=3600.0),
    Job("retention_job", partitions.drop_expired, every=3600.0),
    Job("close_open_calls_job", open_calls.close_open_calls, every=60.0),
    Job("republish", control_state.republish),
    Job("deliver_alerts", budgets.deliver_alerts),
    Job("resume_paused_budgets", budgets.resume_paused_budgets),
    Job("rebuild_spend_counters", budgets.rebuild_lost_spend_counters),
    Job(
        "reconcile_spend_counters",
        budgets.reconcile_spend_counters,
        every=spend_rebuild.RECONCILE_SECONDS,
    ),
)


def create_app(settings: Settings) -> web.Application:
    cp = settings.control_plane
    app = web.Application(
        middlewares=[request_context, json_errors], client_max_size=cp.max_body_bytes
    )
    app[app_keys.SETTINGS] = settings
    app[app_keys.SECRET_BOX] = load_box(settings)
    app[app_keys.PRICE_CACHE] = PriceCache()
    app.cleanup_ctx.extend([_database, _passwords, _redis, _state_bus, _spend_counters, _jobs])
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
        await passwords.close()


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


async def _state_bus(app: web.Application) -> AsyncIterator[None]:
    """The bus, and one republish at startup (so proxies get every org's state and keys even
    when this process runs no scheduler)."""
    bus = open_state_bus(app[app_keys.REDIS], app[app_keys.SETTINGS].control_plane.redis_prefix)
    app[app_keys.STATE_BUS] = bus
    try:
        await republish(app[app_keys.DATABASE], bus)
    except Exception:
        log.exception("control state republish at startup failed; the worker retries")
    yield


async def _spend_counters(app: web.Application) -> AsyncIterator[None]:
    """Hard budgets' counters (Redis, or memory shared with the embedded proxy), rebuilt from
    the store before anything reserves against them."""
    client, cp = app[app_keys.REDIS], app[app_keys.SETTINGS].control_plane
    counters: SpendCounters = (
        MemorySpendCounters()
        if client is None
        else RedisSpendCounters(client, cp.redis_prefix, timeout_seconds=COUNTER_TIMEOUT_SECONDS)
    )
    app[app_keys.SPEND_COUNTERS] = counters
    try:
        await spend_rebuild.rebuild_all(app[app_keys.DATABASE], counters)
    except Exception:
        log.exception("spend counter rebuild at startup failed; the worker retries")
    yield


async def _jobs(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    context = JobContext(
        settings=settings,
        database=app[app_keys.DATABASE],
        redis=app[app_keys.REDIS],
        bus=app[app_keys.STATE_BUS],
        counters=app[app_keys.SPEND_COUNTERS],
        secret_box=app[app_keys.SECRET_BOX],
    )
    app[app_keys.JOB_CONTEXT] = context
    tasks = TaskSet("control-plane")
    app[app_keys.TASKS] = tasks
    if settings.control_plane.run_worker:
        scheduler = Scheduler(context, JOBS, settings.control_plane.worker_interval_seconds)
        tasks.spawn(scheduler.run(), name="control-plane-worker")
    try:
        yield
    finally:
        await tasks.close()
