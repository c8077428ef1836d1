"""CPU per call of each request hook the proxy runs before forwarding a call (issue 19).

The real pipeline (``build_pipeline`` with the benchmark's settings: no control state, the
mock upstream as ``api.openai.com``'s override) on flows shaped as mitmproxy hands them over:
the benchmark's ~2.5 KB chat request on the reverse listener (origin form, Host header) or
through an intercepted tunnel (forward TLS). Each hook runs over a batch of fresh flows, timed
with ``time.process_time``; the figure is the best of ``--repeats`` batches, in µs per call.

    .venv/bin/python -O bench/request_hooks_bench.py [--mode reverse|forward] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mitmproxy import connection, http
from mitmproxy.proxy import mode_specs
from mitmproxy.test import taddons

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _load import Target, _request

from agentops.settings import load_settings
from proxy._mitm import HookDispatch
from proxy.gate import AllowAll
from proxy.identity_rules import UnverifiedKeys
from proxy.pipeline import build_pipeline
from proxy.spool import Spool

REVERSE_PORT, MOCK_PORT = 18081, 19000


def make_flow(mode: str, raw: bytes) -> http.HTTPFlow:
    head, body = raw.split(b"\r\n\r\n", 1)
    first, *lines = head.split(b"\r\n")
    method, target, _ = first.split(b" ")
    fields = tuple(tuple(line.split(b": ", 1)) for line in lines)
    client = connection.Client(
        peername=("127.0.0.1", 50000),
        sockname=("127.0.0.1", REVERSE_PORT if mode == "reverse" else 8080),
        timestamp_start=time.time(),
        proxy_mode=mode_specs.ProxyMode.parse("regular"),
    )
    if mode == "reverse":
        # origin form: mitmproxy took the destination from the Host header
        host, port, scheme = "127.0.0.1", REVERSE_PORT, b"http"
    else:
        host, port, scheme = "api.openai.com", 443, b"https"
        client.tls = True
        client.sni = "api.openai.com"
    request = http.Request(
        host, port, method, scheme, b"", target, b"HTTP/1.1",
        http.Headers(fields), body, None, time.time(), time.time(),
    )  # fmt: skip
    server = connection.Server(address=None)
    flow = http.HTTPFlow(client, server)
    flow.request = request
    return flow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["reverse", "forward"], default="reverse")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(args))


def bench_pipeline() -> list[object]:
    """The real pipeline with the benchmark's settings: no control state, the mock upstream as
    ``api.openai.com``'s override, records to a temporary spool."""
    home = Path(tempfile.mkdtemp())
    settings = load_settings(
        home=home,
        proxy={
            "reverse_port": REVERSE_PORT,
            "upstream_overrides": {"api.openai.com": f"http://127.0.0.1:{MOCK_PORT}"},
            "spool_dir": home / "spool",
        },
    ).proxy
    spool = Spool(settings.spool_dir, max_bytes=settings.spool_max_bytes)
    return build_pipeline(
        settings,
        reverse_port=REVERSE_PORT,
        spool=spool,
        gate=AllowAll(),
        verifier=UnverifiedKeys(settings.default_org),
        proxy_id="bench",
    )


async def run(args: argparse.Namespace) -> None:
    addons = bench_pipeline()
    if args.mode == "reverse":
        raw = _request(
            Target("r", "127.0.0.1", REVERSE_PORT, "/openai/v1/chat/completions"), "json"
        )
    else:
        raw = _request(
            Target("f", "127.0.0.1", 8080, "/v1/chat/completions", tls_via_proxy=True), "json"
        )
    with taddons.context(*addons) as context:  # type: ignore[no-untyped-call]
        dispatch = HookDispatch(context.master.addons)
        steps: list[tuple[str, str, str]] = [
            (type(a).__name__, hook, f"{type(a).__name__}.{hook}")
            for hook in ("requestheaders", "request")
            for a in addons
            if hasattr(a, hook)
        ]
        results: dict[str, list[float]] = {}
        for _ in range(args.repeats):
            flows = [make_flow(args.mode, raw) for _ in range(args.calls)]
            for _cls, hook, name in steps:
                addon = next(a for a in addons if type(a).__name__ == _cls)
                results.setdefault(name, []).append(await timed(getattr(addon, hook), flows))
            flows = [make_flow(args.mode, raw) for _ in range(args.calls)]
            results.setdefault("dispatch(requestheaders+request)", []).append(
                await timed_dispatch(dispatch, flows)
            )
    total = 0.0
    for name, values in results.items():
        best = min(values)
        if not name.startswith("dispatch"):
            total += best
        print(f"{name:45s} {best:7.2f} µs")
    print(f"{'sum of hooks':45s} {total:7.2f} µs")


async def timed(hook: Callable[[http.HTTPFlow], Any], flows: list[http.HTTPFlow]) -> float:
    is_async = asyncio.iscoroutinefunction(hook)
    t0 = time.process_time()
    if is_async:
        for flow in flows:
            await hook(flow)
    else:
        for flow in flows:
            hook(flow)
    return (time.process_time() - t0) / len(flows) * 1e6


async def timed_dispatch(dispatch: HookDispatch, flows: list[http.HTTPFlow]) -> float:
    from mitmproxy.proxy.layers.http import HttpRequestHeadersHook, HttpRequestHook

    t0 = time.process_time()
    for flow in flows:
        await dispatch.handle_lifecycle(HttpRequestHeadersHook(flow))
        await dispatch.handle_lifecycle(HttpRequestHook(flow))
    return (time.process_time() - t0) / len(flows) * 1e6


if __name__ == "__main__":
    main()
