"""The fake provider: one aiohttp app serving every wire format, on a free local port."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import NamedTuple

from aiohttp import web

from tests.fakeprovider import anthropic_routes, bedrock_routes, gemini_routes, openai_routes
from tests.fakeprovider.wire import STREAMS_KEY, StreamOutcome


class ReceivedRequest(NamedTuple):
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-cased names
    body: bytes


REQUESTS_KEY = web.AppKey("requests", list[ReceivedRequest])


@web.middleware
async def _record(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    body = await request.read()
    headers = {k.lower(): v for k, v in request.headers.items()}
    request.app[REQUESTS_KEY].append(
        ReceivedRequest(request.method, request.path_qs, headers, body)
    )
    return await handler(request)


def make_app() -> web.Application:
    app = web.Application(middlewares=[_record])
    app[REQUESTS_KEY] = []
    app[STREAMS_KEY] = []
    app.add_routes(openai_routes.routes())
    app.add_routes(anthropic_routes.routes())
    app.add_routes(gemini_routes.routes())
    app.add_routes(bedrock_routes.routes())
    return app


class FakeProvider:
    """A running fake provider. ``url`` has no trailing slash, e.g. ``http://127.0.0.1:41234``."""

    def __init__(self, runner: web.AppRunner, port: int) -> None:
        self._runner = runner
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.requests: list[ReceivedRequest] = runner.app[REQUESTS_KEY]
        self.streams: list[StreamOutcome] = runner.app[STREAMS_KEY]  # how each stream ended

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_fake_provider() -> FakeProvider:
    runner = web.AppRunner(make_app(), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    port = int(server.sockets[0].getsockname()[1])
    return FakeProvider(runner, port)


@contextlib.contextmanager
def run_fake_provider_in_thread() -> Iterator[FakeProvider]:
    """For synchronous tests: the fake provider on its own event loop in a daemon thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-provider", daemon=True)
    thread.start()
    try:
        provider = asyncio.run_coroutine_threadsafe(start_fake_provider(), loop).result(timeout=30)
        try:
            yield provider
        finally:
            asyncio.run_coroutine_threadsafe(provider.stop(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
