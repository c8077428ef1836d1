"""The two proxies the benchmark drives, each run as its own process on uvloop.

``metered``: the real ``ProxyService`` exactly as ``agentops proxy`` runs it (JSON logs at INFO to
stderr, full pipeline, records to a temp spool, no control plane), with ``api.openai.com`` sent
to the mock upstream by ``upstream_overrides``.

``floor``: the lean pass-through anything built on mitmproxy costs at least: a stock mitmproxy
Master with only core, proxyserver, next_layer and tlsconfig, a reverse listener to the mock and
a forward listener intercepting TLS, plus a tee addon that parses the JSON request and response
bodies and streams SSE responses event by event, parsing each (``_Tee``). No records, no gate.

Each prints one JSON line with its addresses on stdout when ready and runs until SIGTERM.

    python bench/_servers.py metered --mock-port N --home DIR
    python bench/_servers.py floor --mock-port N --home DIR --port P
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _announce(info: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


async def _until_term() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _publish(policies: int) -> Any:
    """An in-process state bus holding the default org's snapshot with ``policies`` enabled
    policies of every kind (``decide_bench``'s spread; the time windows moved to a day that is
    not today, so that, as there, most policies do not match)."""
    from datetime import UTC, datetime, timedelta

    from decide_bench import policy

    from agentops.statebus import MemoryStateBus
    from agentops.wire.control import ControlSnapshot
    from policies.schema import DAYS

    elsewhere = DAYS[(datetime.now(UTC) + timedelta(days=3)).weekday()]
    documents = []
    for i in range(policies):
        document = policy(i)
        window = document.get("when", {}).get("time_window")
        if window is not None:
            document["when"] = {"time_window": window | {"days": [elsewhere]}}
        documents.append(document)
    bus = MemoryStateBus()
    snapshot = ControlSnapshot(org="default", version=1, generated_at=datetime.now(UTC),
                               policies=documents)  # fmt: skip
    await bus.publish(snapshot)
    return bus


async def run_metered(
    mock_port: int, home: Path, otlp: str | None = None, policies: int | None = None
) -> None:
    from agentops.heap import PROXY_MALLOC_ARENAS, limit_malloc_arenas, settle_heap
    from agentops.logs import configure_logging
    from agentops.settings import load_settings
    from proxy.ca import write_bundle
    from proxy.service import ProxyService

    settings = load_settings(
        home=home,
        proxy={
            "listen_port": _free_port(),
            "reverse_port": _free_port(),
            # /metrics, for the OpenTelemetry export's dropped calls (an idle listener).
            "admin_port": _free_port(),
            "upstream_overrides": {"api.openai.com": f"http://127.0.0.1:{mock_port}"},
            "ca_dir": home / "ca",
            "spool_dir": home / "spool",
            # OpenTelemetry export on: spans and metrics batched to an OTLP/HTTP endpoint.
            "otlp_endpoint": otlp,
        },
    )
    configure_logging(settings.log_level, settings.log_format)  # as `agentops proxy` does
    limit_malloc_arenas(PROXY_MALLOC_ARENAS)  # as `agentops proxy` does
    bus = None
    if policies is not None:  # gated from a control state, as with a control plane
        bus = await _publish(policies)
    service = ProxyService(settings, state_bus=bus)
    await service.start()
    settle_heap(_young_threshold())  # as `agentops proxy` does once started
    _time_collections()
    if otlp and (interval := os.environ.get("BENCH_OTEL_SWITCH_INTERVAL")):
        sys.setswitchinterval(float(interval))  # the A/B of the former 0.5 ms export setting
    bundle = write_bundle(settings.proxy.ca_dir, home / "bundle.pem")
    reverse = service.reverse_address
    assert reverse is not None
    admin = service.admin_address
    assert admin is not None
    _announce(
        {"forward": list(service.forward_address), "reverse": list(reverse),
         "bundle": str(bundle), "admin": list(admin)}
    )  # fmt: skip
    try:
        await _until_term()
    finally:
        await service.stop()


class _Tee:
    """The floor's metering, as lean as it gets: parse the JSON request body and the JSON
    response body; tee an SSE response event by event and parse each event's JSON. Forward
    (intercepted TLS) calls to ``api.openai.com`` go to the mock, as the metered proxy's
    ``upstream_overrides`` send them."""

    def __init__(self, mock_port: int) -> None:
        self._mock_port = mock_port

    def requestheaders(self, flow: Any) -> None:
        request = flow.request
        if request.host == "api.openai.com":
            request.scheme, request.host, request.port = "http", "127.0.0.1", self._mock_port

    def request(self, flow: Any) -> None:
        body = flow.request.get_content(strict=False)
        if body:
            orjson.loads(body)

    def responseheaders(self, flow: Any) -> None:
        response = flow.response
        if "text/event-stream" in response.headers.get("content-type", ""):
            response.stream = _SseTee()

    def response(self, flow: Any) -> None:
        if not flow.response.stream:
            body = flow.response.get_content(strict=False)
            if body:
                orjson.loads(body)


class _SseTee:
    def __init__(self) -> None:
        self._rest = b""

    def __call__(self, chunk: bytes) -> bytes:
        *events, self._rest = (self._rest + chunk).split(b"\n\n")
        for event in events:
            if event.startswith(b"data: {"):
                orjson.loads(event[6:])
        return chunk


async def run_floor(mock_port: int, home: Path, port: int, forward_port: int) -> None:
    import logging

    from mitmproxy import master, options
    from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig

    logging.getLogger("mitmproxy").setLevel(logging.WARNING)
    m = master.Master(options.Options(), event_loop=asyncio.get_running_loop())
    ps = proxyserver.Proxyserver()
    m.addons.add(core.Core(), ps, next_layer.NextLayer(), tlsconfig.TlsConfig(), _Tee(mock_port))
    confdir = home / "floor-ca"
    m.options.update(
        mode=[
            f"reverse:http://127.0.0.1:{mock_port}@127.0.0.1:{port}",
            f"regular@127.0.0.1:{forward_port}",
        ],
        confdir=str(confdir),
        connection_strategy="lazy",
        upstream_cert=False,
        http3=False,
    )
    if not await ps.setup_servers():
        raise OSError(f"the floor failed to listen on {port} and {forward_port}")
    await m.running()
    # The same collector settings as the metered proxy, so the difference is metering alone.
    from agentops.heap import settle_heap

    settle_heap(_young_threshold())
    _announce(
        {
            "reverse": ["127.0.0.1", port],
            "forward": ["127.0.0.1", forward_port],
            "bundle": str(confdir / "mitmproxy-ca-cert.pem"),
        }
    )
    await _until_term()
    await ps.servers.update([])
    await m.done()


def _time_collections() -> None:
    """``BENCH_GC_LOG=FILE``: time every collector pass; a summary goes to FILE at exit."""
    path = os.environ.get("BENCH_GC_LOG")
    if not path:
        return
    import atexit
    import gc
    import time

    pauses: list[float] = []
    started = [0.0]

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    def summary() -> None:
        ordered = sorted(pauses) or [0.0]
        Path(path).write_text(
            f"young threshold {gc.get_threshold()[0]}: {len(pauses)} collections, "
            f"p50 {ordered[len(ordered) // 2] * 1000:.3f} ms, max {ordered[-1] * 1000:.3f} ms, "
            f"total {sum(pauses) * 1000:.1f} ms\n"
        )

    gc.callbacks.append(on_gc)
    atexit.register(summary)


def _young_threshold() -> int | None:
    """``BENCH_GC_YOUNG=N``: raise the collector's young threshold (an A/B of the tuning)."""
    value = os.environ.get("BENCH_GC_YOUNG")
    return int(value) if value else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["metered", "floor"])
    parser.add_argument("--mock-port", type=int, required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--otlp", default=None, help="metered: OTLP/HTTP endpoint to export to")
    parser.add_argument(
        "--policies", type=int, default=None, help="metered: gate on a snapshot with N policies"
    )
    args = parser.parse_args()
    if args.kind == "metered":
        uvloop.run(run_metered(args.mock_port, args.home, args.otlp, args.policies))
    else:
        uvloop.run(run_floor(args.mock_port, args.home, args.port or _free_port(), _free_port()))


if __name__ == "__main__":
    main()
