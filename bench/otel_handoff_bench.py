"""What the OpenTelemetry export costs the proxy's event loop per call: ``GenAiTelemetry.record``
(the call's plain facts appended to a list) and, once per ``FLUSH_CALLS`` calls, the flush (one
``marshal.dumps`` of the batch and one non-blocking ``write`` to the exporter's pipe), on a
real exporter process, in CPU microseconds of the loop's thread.

    .venv/bin/python bench/otel_handoff_bench.py [--rounds 200] [--batch 256]

A round hands ``--batch`` calls over as the proxy does (the flush at ``FLUSH_CALLS``; with a
smaller batch, the flush the 100 ms timer triggers), then lets the loop write and the exporter
read for 50 ms. The exporter posts to a port nothing listens on: its failures are its own.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import uvloop
from mitmproxy.http import Headers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agentops.wire.record import CallRecord, CallStatus, CostInfo, TokenCounts
from proxy.telemetry.handoff import GenAiTelemetry


def sample_record() -> CallRecord:
    """A chat call as the proxy records it (the benchmark's request, the mock's answer)."""
    started = datetime.now(UTC)
    return CallRecord(
        call_id=uuid.uuid4(), org="default", agent="bench-agent", run_id="bench-run",
        provider="openai", endpoint="chat.completions", host="api.openai.com",
        path="/v1/chat/completions", model_requested="gpt-4o-mini",
        model_served="gpt-4o-mini-2024-07-18", status=CallStatus.OK, http_status=200,
        tokens=TokenCounts(input=612, output=48, cached_read=128),
        cost=CostInfo(total_usd=Decimal("0.0001206000"), price_version="2026-11-01"),
        started_at=started, ended_at=started + timedelta(milliseconds=2), latency_ms=2.1,
        finish_reason="stop",
    )  # fmt: skip


async def run(rounds: int, batch: int) -> None:
    telemetry = GenAiTelemetry("http://127.0.0.1:9", log_level="ERROR")
    await telemetry.start()
    record = sample_record()
    headers = Headers(traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    appends: list[float] = []
    flushes: list[float] = []
    try:
        for _ in range(rounds):
            start = time.thread_time_ns()
            for _ in range(batch - 1):
                telemetry.record(record, headers)
            appended = time.thread_time_ns()
            telemetry.record(record, headers)
            if batch < 256:
                telemetry._flush()  # what the timer does
            flushed = time.thread_time_ns()
            appends.append((appended - start) / (batch - 1) / 1000)
            flushes.append((flushed - appended) / 1000)
            await asyncio.sleep(0.05)
    finally:
        await telemetry.stop()
    per_call = [a + f / batch for a, f in zip(appends, flushes, strict=True)]
    print(f"{rounds} rounds of {batch} calls, CPU of the loop's thread:")
    print(f"  record() per call        median {statistics.median(appends):.2f} us")
    print(f"  flush of {batch:>4} calls      median {statistics.median(flushes):.1f} us")
    print(
        f"  hand-off per call        median {statistics.median(per_call):.2f} us, "
        f"p90 {statistics.quantiles(per_call, n=10)[-1]:.2f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256, help="calls per flush (<= 256)")
    args = parser.parse_args()
    uvloop.run(run(args.rounds, min(args.batch, 256)))


if __name__ == "__main__":
    main()
