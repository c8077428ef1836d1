"""Typed application state: every ``web.AppKey`` of the control plane, in one place."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import SpendCounters
from agentops.tasks import TaskSet
from control_plane.auth.passwords import Passwords
from control_plane.auth.throttle import LoginThrottle
from control_plane.jobs.context import JobContext
from control_plane.ratelimit import RateLimiter
from control_plane.secretbox import SecretBox
from control_plane.services.control_state import ControlStateBus
from control_plane.services.prices import PriceCache
from control_plane.store.engine import Database

SETTINGS = web.AppKey("settings", Settings)
PASSWORDS = web.AppKey("passwords", Passwords)
SECRET_BOX = web.AppKey("secret_box", SecretBox)
DATABASE = web.AppKey("database", Database)
REDIS: web.AppKey[Redis[bytes] | None] = web.AppKey("redis")
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
TASKS = web.AppKey("tasks", TaskSet)
PRICE_CACHE = web.AppKey("price_cache", PriceCache)
STATE_BUS = web.AppKey("state_bus", ControlStateBus)
JOB_CONTEXT = web.AppKey("job_context", JobContext)  # what the scheduler's jobs work with
# Hard budgets' counters: Redis, or the in-memory set the embedded proxy shares.
SPEND_COUNTERS: web.AppKey[SpendCounters] = web.AppKey("spend_counters")
