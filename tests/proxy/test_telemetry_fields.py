"""The per-call hand-off to the exporter process: every fact its span and measurements need,
in ``Call``'s order, and frames that survive the pipe (a frame cut by the writer's death is
dropped, not misread)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mitmproxy.http import Headers

from agentops.wire.record import CallRecord, CallStatus, CostInfo, TokenCounts
from proxy.telemetry._fields import Call, call_fields, frame, read_frames
from proxy.telemetry.handoff import _trace_context

STARTED = datetime(2026, 12, 5, 9, 0, 0, 123456, tzinfo=UTC)
ENDED = datetime(2026, 12, 5, 9, 0, 1, 500000, tzinfo=UTC)
CALL_ID = uuid.UUID("0193a6f2-7c1e-7abc-8def-0123456789ab")


def _record(**overrides: object) -> CallRecord:
    fields: dict[str, object] = {
        "call_id": CALL_ID, "org": "acme", "agent": "bot", "run_id": "run-7",
        "provider": "anthropic", "endpoint": "messages", "host": "api.anthropic.com",
        "model_requested": "claude-x", "model_served": "claude-x-1", "streamed": True,
        "status": CallStatus.ERROR, "http_status": 529, "error_type": "overloaded",
        "tokens": TokenCounts(input=11, output=22, cached_read=33, cache_write_5m=4,
                              cache_write_1h=5, reasoning=6, source="estimated"),
        "cost": CostInfo(total_usd=Decimal("0.0000123400"), price_version="2026-11-01"),
        "started_at": STARTED, "ended_at": ENDED, "latency_ms": 1376.5, "ttft_ms": 210.25,
        "finish_reason": "length",
    }  # fmt: skip
    return CallRecord(**(fields | overrides))  # type: ignore[arg-type]


def test_a_record_becomes_the_calls_plain_facts_in_order() -> None:
    call = Call._make(call_fields(_record(), "00-ab-cd-01", "k=v"))
    assert call == Call(
        provider="anthropic", endpoint="messages", model_requested="claude-x",
        model_served="claude-x-1", status="error", error_type="overloaded", input_tokens=11,
        output_tokens=22, cached_read_tokens=33, cache_write_tokens=9, reasoning_tokens=6,
        token_source="estimated", call_id=CALL_ID.int, org="acme", agent="bot", run_id="run-7",
        streamed=True, finish_reason="length", host="api.anthropic.com", http_status=529,
        cost_usd="0.0000123400", unpriced_reason=None, price_version="2026-11-01",
        ttft_ms=210.25, latency_ms=1376.5, start_ns=int(STARTED.timestamp() * 1e9),
        end_ns=int(ENDED.timestamp() * 1e9), traceparent="00-ab-cd-01", tracestate="k=v",
    )  # fmt: skip


def test_an_unfinished_unpriced_call_ends_where_it_started() -> None:
    record = _record(
        status=CallStatus.IN_PROGRESS, ended_at=None, latency_ms=None,
        cost=CostInfo(unpriced_reason="unpriced_model"),
    )  # fmt: skip
    call = Call._make(call_fields(record, None, None))
    assert call.end_ns == call.start_ns
    assert (call.cost_usd, call.unpriced_reason) == (None, "unpriced_model")
    assert (call.traceparent, call.tracestate) == (None, None)


def test_frames_carry_batches_and_a_cut_frame_is_dropped() -> None:
    first = [call_fields(_record(run_id=f"r{i}"), None, None) for i in range(3)]
    second = [call_fields(_record(run_id="last"), "00-ab-cd-01", None)]
    stream = frame(first) + frame(second)
    read = list(read_frames(io.BytesIO(stream)))
    assert [[c.run_id for c in batch] for batch in read] == [["r0", "r1", "r2"], ["last"]]
    cut = list(read_frames(io.BytesIO(stream[:-1])))
    assert [[c.run_id for c in batch] for batch in cut] == [["r0", "r1", "r2"]]
    assert list(read_frames(io.BytesIO(stream[:2]))) == []


@pytest.mark.parametrize(
    "fields",
    [
        [(b"Content-Type", b"application/json"), (b"TraceParent", b"00-ab-cd-01"),
         (b"tracestate", b"a=1"), (b"X-Other", b"x"), (b"TRACESTATE", b"b=2")],
        [(b"Accept", b"*/*")],
    ],
)  # fmt: skip
def test_the_trace_headers_are_read_as_mitmproxy_reads_them(
    fields: list[tuple[bytes, bytes]],
) -> None:
    headers = Headers(fields)
    expected = (headers.get("traceparent"), headers.get("tracestate"))
    assert _trace_context(headers) == expected
    assert _trace_context({k.lower(): v for k, v in headers.items()}) == expected
