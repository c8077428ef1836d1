"""Running long-lived commands: our own event loop, stopped by SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import click


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (we own this loop), else asyncio's default.

    A port already taken is the one start-up failure a user causes most: it is reported as a
    one-line error naming the address, not a traceback.
    """
    try:
        _run(main)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise click.ClickException(
            f"{exc}: another process is listening there; stop it or "
            "choose other ports (--port/--proxy-port/--reverse-port, or the AGENTOPS_*_PORT "
            "settings in docs/configuration.md)"
        ) from None


def _run(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        asyncio.run(main, loop_factory=uvloop.new_event_loop)


@asynccontextmanager
async def stop_signal() -> AsyncIterator[asyncio.Event]:
    """An event set by the first SIGINT or SIGTERM while the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
