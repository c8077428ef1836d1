"""Is the control state fit to serve from? Pure judgement of readiness and staleness.

The answer feeds both ``decide`` (refuse with 503 or serve) and the proxy's ``/readyz``.
"""

from __future__ import annotations

import math
from typing import Literal

from agentops.settings import ProxySettings
from proxy.decision.types import HealthReason, StateHealth

__all__ = ["StateHealth", "assess", "assess_holder"]


def assess(
    *,
    synced: bool,
    age_seconds: float | None,
    max_age_seconds: float,
    stale_mode: Literal["keep_last_known", "refuse_all"],
    start_open: bool,
    resync_seconds: float,
) -> StateHealth:
    retry = max(1, math.ceil(resync_seconds))
    if not synced or age_seconds is None:
        reason: HealthReason = "no_snapshot_start_open" if start_open else "no_snapshot"
        return StateHealth(start_open, reason, None, retry)
    if age_seconds <= max_age_seconds:
        return StateHealth(True, "fresh", age_seconds, retry)
    if stale_mode == "refuse_all":
        return StateHealth(False, "stale_refuse_all", age_seconds, retry)
    return StateHealth(True, "stale_keep_last_known", age_seconds, retry)


def assess_holder(synced: bool, age_seconds: float | None, settings: ProxySettings) -> StateHealth:
    """``assess`` with the deployment's settings (what the gate and /readyz call)."""
    return assess(
        synced=synced,
        age_seconds=age_seconds,
        max_age_seconds=settings.state_max_age_seconds,
        stale_mode=settings.stale_state_mode,
        start_open=settings.start_open,
        resync_seconds=settings.state_resync_seconds,
    )
