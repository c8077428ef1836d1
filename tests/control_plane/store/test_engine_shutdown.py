"""Disposing the database leaves nothing running: no task, no driver thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from sqlalchemy import event

from control_plane.store.engine import create_database


async def test_dispose_waits_for_a_start_abandoned_in_flight_and_leaves_no_task(
    sqlite_url: str,
) -> None:
    """A start whose caller is cancelled while it pre-pings its pooled connection is abandoned;
    disposing must let it drop its connection, not cut that short (a cancel during SQLAlchemy's
    terminate left aiosqlite's close waiting forever, and the test loop's teardown with it)."""
    threads_before = set(threading.enumerate())
    database = create_database(sqlite_url, pool_pre_ping=True)
    async with database.transaction():
        pass  # one pooled connection: the next start pre-pings it
    invalidated = asyncio.Event()

    def on_invalidate(*_: Any) -> None:
        invalidated.set()

    event.listen(database.engine.sync_engine, "invalidate", on_invalidate)

    async def start() -> None:
        async with database.transaction():
            pass

    starting = asyncio.create_task(start())
    await asyncio.sleep(0)  # the start is in flight: its pre-ping waits on the driver
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    await invalidated.wait()  # the abandoned start is dropping its connection now
    await database.dispose()

    assert asyncio.all_tasks() == {asyncio.current_task()}
    for thread in set(threading.enumerate()) - threads_before:
        thread.join()  # a driver thread still running would hang here (the test timeout)


async def test_a_readiness_ping_cancelled_in_flight_is_tracked_until_dispose(
    sqlite_url: str,
) -> None:
    database = create_database(sqlite_url)
    pinging = asyncio.create_task(database.ping(timeout_seconds=60.0))
    await asyncio.sleep(0)  # its SELECT 1 is in flight
    pinging.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pinging
    await database.dispose()

    assert asyncio.all_tasks() == {asyncio.current_task()}
