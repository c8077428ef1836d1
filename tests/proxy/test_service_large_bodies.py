"""Bodies past ``max_request_body_bytes`` are streamed through, never held whole: a chunked
request body with no Content-Length that grows past the limit reaches the provider while the
agent is still sending it, and a chunked answer past the limit reaches the agent while the
provider is still sending it. Were either buffered, the side waiting for the other would wait
forever (the test's bounded waits fail)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records

LIMIT = 64 * 1024
PIECE = b"x" * 16 * 1024
PIECES = 4 * LIMIT // len(PIECE)  # four times the limit, in each direction
WAIT = 30.0  # seconds: a bound on a wait that never ends when a body is buffered


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Provider:
    """A raw HTTP/1.1 upstream: counts the request body as it arrives, then answers a chunked
    body that it finishes only once the agent has seen most of it."""

    def __init__(self) -> None:
        self.received = 0
        self.request_seen = asyncio.Event()  # more than the limit arrived, body not finished
        self.agent_saw_answer = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
            self.received += size
            if self.received > 2 * LIMIT:
                self.request_seen.set()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for _ in range(PIECES):
            writer.write(_chunk(PIECE))
            await writer.drain()
        await asyncio.wait_for(self.agent_saw_answer.wait(), WAIT)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()


async def test_chunked_bodies_past_the_limit_stream_both_ways(start_proxy: StartProxy) -> None:
    provider = Provider()
    server = await asyncio.start_server(provider.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proxy = await start_proxy(
        max_request_body_bytes=LIMIT,
        upstream_overrides={"api.openai.com": f"http://127.0.0.1:{port}"},
    )
    assert proxy.reverse_address is not None
    reader, writer = await asyncio.open_connection(*proxy.reverse_address)
    try:
        writer.write(
            b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: proxy\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        writer.write(_chunk(b'{"model": "gpt-4o-mini", "pad": "'))
        for _ in range(PIECES):
            writer.write(_chunk(PIECE))
            await writer.drain()
        # The provider has most of the body before the agent has sent all of it.
        await asyncio.wait_for(provider.request_seen.wait(), WAIT)
        writer.write(_chunk(b'"}') + b"0\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 200")
        seen = 0
        while seen <= 2 * LIMIT:  # most of the answer, before the provider ends it
            size = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), WAIT))[:-2], 16)
            assert size > 0
            seen += len(await reader.readexactly(size + 2)) - 2
        provider.agent_saw_answer.set()
        while int((await asyncio.wait_for(reader.readuntil(b"\r\n"), WAIT))[:-2], 16):
            await reader.readuntil(b"\r\n")  # the rest
    finally:
        writer.close()
        server.close()
    await proxy.stop()
    [record] = final_records(proxy.settings.proxy.spool_dir).values()
    assert record["status"] == "ok"


async def test_a_killed_agent_cannot_slip_a_call_through_a_chunked_body_past_the_limit(
    proxy_settings: Any,
) -> None:
    """A chunked body with no Content-Length is buffered, then streamed once it outgrows the
    limit; mitmproxy's request hook comes only after it has all gone upstream, and the gate
    used to decide in neither hook: a killed agent's call went through and was recorded ok.
    The gate now decides before the switch: nothing reaches the provider, the agent's
    connection is cut, and the call is recorded as refused."""
    from agentops.statebus import MemoryStateBus
    from agentops.wire.control import ControlRule, ControlSnapshot
    from proxy.service import ProxyService

    provider = Provider()
    server = await asyncio.start_server(provider.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bus = MemoryStateBus()
    now = datetime.now(UTC)
    kill = ControlRule(scope="agent", target="escaper", action="kill", reason="incident",
                       reference="ctl-1", since=now)  # fmt: skip
    await bus.publish(ControlSnapshot(org="default", version=1, generated_at=now, rules=[kill]))
    settings = proxy_settings(
        max_request_body_bytes=LIMIT,
        upstream_overrides={"api.openai.com": f"http://127.0.0.1:{port}"},
    )
    proxy = ProxyService(settings, state_bus=bus)
    await proxy.start()
    try:
        assert proxy.reverse_address is not None
        reader, writer = await asyncio.open_connection(*proxy.reverse_address)
        writer.write(
            b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: proxy\r\n"
            b"x-agentops-agent: escaper\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        writer.write(_chunk(b'{"model": "gpt-4o-mini", "pad": "'))
        with contextlib.suppress(ConnectionError):
            for _ in range(PIECES):
                writer.write(_chunk(PIECE))
                await writer.drain()
            writer.write(_chunk(b'"}') + b"0\r\n\r\n")
            await writer.drain()
        answer = await asyncio.wait_for(reader.read(), WAIT)  # until the proxy closes it
        assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
        writer.close()
    finally:
        await proxy.stop()
        server.close()
    assert provider.received == 0
    [record] = final_records(settings.proxy.spool_dir).values()
    assert (record["status"], record["refusal_reason"]) == ("refused", "agent_killed")
