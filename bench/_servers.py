"""The two proxies the benchmark drives, each run as its own process on uvloop.

``metered``: the real ``ProxyService`` exactly as ``agentops proxy`` runs it (JSON logs at INFO to
stderr, full pipeline, records to a temp spool, no control plane), with ``api.openai.com`` sent
to the mock upstream by ``upstream_overrides``.

``passthrough``: a stripped mitmproxy Master with only core, proxyserver, next_layer and
tlsconfig, in reverse mode to the mock, plus one line that streams SSE responses (the metered
proxy streams them too; without it mitmproxy would buffer the whole stream). No metering.

Each prints one JSON line with its addresses on stdout when ready and runs until SIGTERM.

    python bench/_servers.py metered --mock-port N --home DIR
    python bench/_servers.py passthrough --mock-port N --home DIR --port P
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys
from pathlib import Path
from typing import Any

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
    from agentops.heap import settle_heap
    from agentops.logs import configure_logging
    from agentops.settings import load_settings
    from proxy.ca import write_bundle
    from proxy.service import ProxyService

    settings = load_settings(
        home=home,
        proxy={
            "listen_port": _free_port(),
            "reverse_port": _free_port(),
            "admin_port": 0,
            "upstream_overrides": {"api.openai.com": f"http://127.0.0.1:{mock_port}"},
            "ca_dir": home / "ca",
            "spool_dir": home / "spool",
            # OpenTelemetry export on: spans and metrics batched to an OTLP/HTTP endpoint.
            "otlp_endpoint": otlp,
        },
    )
    configure_logging(settings.log_level, settings.log_format)  # as `agentops proxy` does
    bus = None
    if policies is not None:  # gated from a control state, as with a control plane
        bus = await _publish(policies)
    service = ProxyService(settings, state_bus=bus)
    await service.start()
    settle_heap()  # as `agentops proxy` does once started
    bundle = write_bundle(settings.proxy.ca_dir, home / "bundle.pem")
    reverse = service.reverse_address
    assert reverse is not None
    _announce(
        {"forward": list(service.forward_address), "reverse": list(reverse), "bundle": str(bundle)}
    )
    try:
        await _until_term()
    finally:
        await service.stop()


class _StreamSse:
    def responseheaders(self, flow: object) -> None:
        response = flow.response  # type: ignore[attr-defined]
        if "text/event-stream" in response.headers.get("content-type", ""):
            response.stream = True


async def run_passthrough(mock_port: int, home: Path, port: int) -> None:
    import logging

    from mitmproxy import master, options
    from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig

    logging.getLogger("mitmproxy").setLevel(logging.WARNING)
    m = master.Master(options.Options(), event_loop=asyncio.get_running_loop())
    ps = proxyserver.Proxyserver()
    m.addons.add(core.Core(), ps, next_layer.NextLayer(), tlsconfig.TlsConfig(), _StreamSse())
    m.options.update(
        mode=[f"reverse:http://127.0.0.1:{mock_port}@127.0.0.1:{port}"],
        confdir=str(home / "ca"),
        connection_strategy="lazy",
        http3=False,
    )
    if not await ps.setup_servers():
        raise OSError(f"pass-through failed to listen on {port}")
    await m.running()
    # The same collector settings as the metered proxy, so the difference is metering alone.
    from agentops.heap import settle_heap

    settle_heap()
    _announce({"reverse": ["127.0.0.1", port]})
    await _until_term()
    await ps.servers.update([])
    await m.done()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["metered", "passthrough"])
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
        uvloop.run(run_passthrough(args.mock_port, args.home, args.port or _free_port()))


if __name__ == "__main__":
    main()
