"""The fake provider as a process (``python -m tests.runtimes.serve_fake HOST PORT``), for tests
that need it inside a network namespace. Prints ``ready`` once listening; SIGTERM stops it."""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from tests.fakeprovider.server import make_app


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(make_app(), handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
