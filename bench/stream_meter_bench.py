"""CPU per stream of the metered stream path against the floor's SSE tee (pure, no I/O).

Feeds the benchmark mock's 50-event OpenAI chat stream (with usage, one chunk per event, as the
mock writes them) through ``StreamTee`` and the OpenAI adapter's ``ChatStreamMeter`` (a fresh
``CallState`` and meter per stream, ``finish`` at the end), and through the floor's ``_SseTee``
from ``bench/_servers.py``. Prints the process CPU time per stream and per event, the median of
``--runs`` runs of ``--streams`` streams each. On a shared machine, compare instruction counts
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

from proxy.meter import StreamTee
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


def metered_stream(chunks: list[bytes]) -> None:
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
    tee = StreamTee(state, meter)
    for chunk in chunks:
        tee(chunk)
    meter.finish()


def cpu_us(stream: Callable[[list[bytes]], None], chunks: list[bytes], streams: int) -> float:
    start = time.process_time()
    for _ in range(streams):
        stream(chunks)
    return (time.process_time() - start) / max(streams, 1) * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--only", choices=("floor", "ours"), default=None)
    args = p.parse_args()
    chunks = events()
    targets = {"floor": floor_stream, "ours": metered_stream}
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
