"""Typed application state: every ``web.AppKey`` of the control plane, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import SpendCounters
from agentops.tasks import TaskSet
from control_plane.auth.passwords import Passwords
from control_plane.auth.throttle import LoginThrottle
from control_plane.jobs.scheduler import Worker
from control_plane.ratelimit import RateLimiter
from control_plane.secretbox import SecretBox
from control_plane.services.prices import PriceCache
from control_plane.store.engine import Database

if TYPE_CHECKING:  # the bus's module reads these keys: a runtime import would be a cycle
    from control_plane.services.control_state import ControlStateBus

SETTINGS = web.AppKey("settings", Settings)
PASSWORDS = web.AppKey("passwords", Passwords)
SECRET_BOX = web.AppKey("secret_box", SecretBox)
DATABASE = web.AppKey("database", Database)
REDIS: web.AppKey[Redis[bytes] | None] = web.AppKey("redis")
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
TASKS = web.AppKey("tasks", TaskSet)
PRICE_CACHE = web.AppKey("price_cache", PriceCache)
WORKER = web.AppKey("worker", Worker)
STATE_BUS: web.AppKey[ControlStateBus] = web.AppKey("state_bus")
# Hard budgets' counters: Redis, or the in-memory set the embedded proxy shares.
SPEND_COUNTERS: web.AppKey[SpendCounters] = web.AppKey("spend_counters")
