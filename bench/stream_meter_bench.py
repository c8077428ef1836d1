"""CPU per stream of the metered stream path against the floor's SSE tee (pure, no I/O).

Feeds the benchmark mock's 50-event OpenAI chat stream (with usage, one chunk per event, as the
mock writes them) through ``StreamTee`` and the OpenAI adapter's ``ChatStreamMeter`` (a fresh
``CallState`` and meter per stream, ``finish`` at the end), and through the floor's ``_SseTee``
from ``bench/_servers.py``. Prints the process CPU time per stream and per event, the median of
``--runs`` runs of ``--streams`` streams each. ``ours+cut`` is ``ours`` with a control plane's
stream cut (a ``ControlGate`` on a held snapshot of 20 registered agents and 6 kill and pause
rules, none covering the caller), which the proxy bench does not configure. On a shared machine, compare instruction counts
instead: ``valgrind --tool=callgrind`` over ``--streams 0`` and ``--streams 200``.

    .venv/bin/python bench/stream_meter_bench.py [--streams 1000] [--runs 7] [--only ours]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _mock_upstream import _sse_events
from _servers import _SseTee

from agentops.settings import ProxySettings
from agentops.wire.control import ControlSnapshot
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.meter import StreamCut, StreamTee
from proxy.providers import OpenAIAdapter
from proxy.state import CallState, Identity

PATH = "/v1/chat/completions"
ADAPTER = OpenAIAdapter()


def events() -> list[bytes]:
    """The mock's event chunks without their chunked-encoding framing."""
    return [framed.partition(b"\r\n")[2][:-2] for framed in _sse_events(50)[:-1]]


def floor_stream(chunks: list[bytes]) -> None:
    tee = _SseTee()
    for chunk in chunks:
        tee(chunk)


def control_gate() -> ControlGate:
    rules = [
        {"scope": scope, "target": f"{scope}-{i}", "action": action, "reason": "bench",
         "reference": f"ref-{scope}-{i}", "since": "2026-01-01T00:00:00Z"}
        for i, (scope, action) in enumerate(
            [("agent", "kill"), ("team", "kill"), ("key", "kill"), ("agent", "pause"),
             ("team", "pause"), ("agent", "kill")]
        )
    ]  # fmt: skip
    agents = {f"agent-{i}": {"team": "t", "status": "active"} for i in range(19)}
    agents["agent"] = {"team": "t", "status": "active"}
    holder = ControlStateHolder()
    snapshot = {"org": "org", "version": 1, "generated_at": "2026-01-01T00:00:00Z"}
    holder.apply(ControlSnapshot.model_validate({**snapshot, "rules": rules, "agents": agents}))
    holder.mark_synced()
    return ControlGate(holder, ProxySettings())


CUT = control_gate().stream_cut


def metered_stream(chunks: list[bytes], cut: StreamCut | None = None) -> None:
    adapter = ADAPTER
    endpoint = adapter.classify("POST", "api.openai.com", PATH)
    state = CallState(
        mode="reverse",
        host="api.openai.com",
        port=443,
        path=PATH,
        method="POST",
        started_at=datetime.now(UTC),
        t_start=time.time(),
        adapter=adapter,
        endpoint=endpoint,
        identity=Identity("org", "agent", "run", "header"),
    )
    meter = state.meter = adapter.stream_meter(endpoint, state.request)
    tee = StreamTee(state, meter, cut).__call__  # as the meter hands it to mitmproxy
    for chunk in chunks:
        tee(chunk)
    meter.finish()


def metered_stream_cut(chunks: list[bytes]) -> None:
    metered_stream(chunks, CUT)


def cpu_us(stream: Callable[[list[bytes]], None], chunks: list[bytes], streams: int) -> float:
    start = time.process_time()
    for _ in range(streams):
        stream(chunks)
    return (time.process_time() - start) / max(streams, 1) * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--only", choices=("floor", "ours", "ours+cut"), default=None)
    args = p.parse_args()
    chunks = events()
    targets = {"floor": floor_stream, "ours": metered_stream, "ours+cut": metered_stream_cut}
    for name, stream in targets.items():
        if args.only not in (None, name):
            continue
        stream(chunks)  # warm
        runs = [cpu_us(stream, chunks, args.streams) for _ in range(args.runs)]
        per_stream = statistics.median(runs)
        print(
            f"{name}: {per_stream:.1f} µs CPU per stream, {per_stream / len(chunks):.2f} per "
            f"event ({len(chunks)} events; runs {', '.join(f'{r:.0f}' for r in runs)})"
        )


if __name__ == "__main__":
    main()
