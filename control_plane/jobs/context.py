"""What a job works with: the control plane's resources, typed, opened by the app factory.

A job never sees the ``web.Application``; it gets this, built once the resources it names are
open (``control_plane.app``), so a job can also be run by hand (tests, the embedded stack).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import SpendCounters
from control_plane.secretbox import SecretBox
from control_plane.services.control_state import ControlStateBus
from control_plane.store.engine import Database


@dataclass(frozen=True, slots=True)
class JobContext:
    settings: Settings
    database: Database
    redis: Redis[bytes] | None  # None: embedded, in-process state
    bus: ControlStateBus  # control snapshots and the key directory, to the proxies
    counters: SpendCounters  # hard budgets' spend counters the proxies reserve against
    secret_box: SecretBox  # opens stored channel secrets (alert deliveries)
