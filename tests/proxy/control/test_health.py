"""When may the proxy serve from its control state, and is it ready?"""

from __future__ import annotations

import pytest

from proxy.control.health import assess


@pytest.mark.parametrize(
    ("synced", "age", "mode", "start_open", "serving", "reason"),
    [
        (False, None, "keep_last_known", False, False, "no_snapshot"),
        (False, None, "keep_last_known", True, True, "no_snapshot_start_open"),
        (True, 10.0, "refuse_all", False, True, "fresh"),
        (True, 300.0, "refuse_all", False, True, "fresh"),  # the limit itself is still fresh
        (True, 301.0, "keep_last_known", False, True, "stale_keep_last_known"),
        (True, 301.0, "refuse_all", False, False, "stale_refuse_all"),
        (True, 301.0, "refuse_all", True, False, "stale_refuse_all"),  # start_open is for startup
    ],
)
def test_assess(
    synced: bool, age: float | None, mode: str, start_open: bool, serving: bool, reason: str
) -> None:
    health = assess(
        synced=synced,
        age_seconds=age,
        max_age_seconds=300,
        stale_mode=mode,  # type: ignore[arg-type]
        start_open=start_open,
        resync_seconds=2.5,
    )
    assert (health.serving, health.ready, health.reason) == (serving, serving, reason)
    assert health.retry_after_seconds == 3
