"""Traffic that is not an LLM call passes through untouched."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import self_signed, server_tls_context

Seen = list[tuple[str, str, dict[str, str], bytes]]


async def _echo_server() -> tuple[web.AppRunner, int, Seen]:
    seen: Seen = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, dict(request.headers), await request.read()))
        return web.Response(body=b"pong", headers={"x-upstream": "yes"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1]), seen


async def test_plain_http_request_reaches_the_server_unchanged(start_proxy: StartProxy) -> None:
    proxy = await start_proxy()
    runner, port, seen = await _echo_server()
    host, proxy_port = proxy.forward_address
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.put(
                f"http://127.0.0.1:{port}/some/path?q=1&r=two",
                data=b"\x00binary body\xff",
                headers={"X-Custom": "value", "Content-Type": "application/octet-stream"},
                proxy=f"http://{host}:{proxy_port}",
            ) as response,
        ):
            assert response.status == 200
            assert response.headers["x-upstream"] == "yes"
            assert await response.read() == b"pong"
    finally:
        await runner.cleanup()
    [(method, path, headers, body)] = seen
    assert (method, path, body) == ("PUT", "/some/path?q=1&r=two", b"\x00binary body\xff")
    assert headers["X-Custom"] == "value"
    assert headers["Content-Type"] == "application/octet-stream"


async def test_connect_to_a_non_llm_host_is_tunnelled_with_its_own_certificate(
    start_proxy: StartProxy, tmp_path: Path
) -> None:
    proxy = await start_proxy()
    cert, key, der = self_signed(tmp_path)

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello over tls\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=server_tls_context(cert, key))
    port = server.sockets[0].getsockname()[1]
    host, proxy_port = proxy.forward_address
    reader, writer = await asyncio.open_connection(host, proxy_port)
    try:
        writer.write(
            f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 200")
        client_ctx = ssl.create_default_context(cafile=str(cert))
        await writer.start_tls(client_ctx, server_hostname="localhost")
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.getpeercert(binary_form=True) == der
        assert await reader.readline() == b"hello over tls\n"
    finally:
        writer.close()
        server.close()
        await server.wait_closed()
