"""What one call sends to the exporter process: a plain tuple of the facts its span and its
measurements need, and the frames that carry batches of them down the pipe.

Plain values only (strings, numbers, ``None``), so that a batch is one ``marshal.dumps``: ~0.03 us
a call, against pydantic's JSON of the whole record or a pickle of objects. ``call_fields`` builds
the tuple in the order of ``Call``'s fields; the exporter reads it back as a ``Call``. Both ends are
this same module of the same installation (the proxy starts the exporter from its own
interpreter), so marshal's version-bound format is safe here and nowhere else.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from agentops.wire.record import CallRecord

_LENGTH = 4  # bytes of the little-endian length ahead of each frame
# The exporter's OTLP endpoint, passed in its environment: a URL may carry credentials, and a
# command line is readable by every user of the machine.
ENDPOINT_VARIABLE = "AGENTOPS_OTEL_EXPORTER_ENDPOINT"


class Call(NamedTuple):
    provider: str
    endpoint: str
    model_requested: str | None
    model_served: str | None
    status: str
    error_type: str | None
    input_tokens: int
    output_tokens: int
    cached_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    token_source: str
    call_id: int  # the UUID's 128-bit value (``str(uuid)`` costs ~1 us in the proxy)
    org: str
    agent: str
    run_id: str
    streamed: bool
    finish_reason: str | None
    host: str
    http_status: int | None
    cost_usd: str | None  # the exact Decimal's text
    unpriced_reason: str | None
    price_version: str | None
    ttft_ms: float | None
    latency_ms: float | None
    start_ns: int
    end_ns: int
    traceparent: str | None
    tracestate: str | None


def call_fields(
    record: CallRecord, traceparent: str | None, tracestate: str | None
) -> tuple[object, ...]:
    """``record`` as ``Call``'s fields, in order (a plain tuple: ``marshal`` takes no subclass)."""
    t, cost = record.tokens, record.cost
    ended = record.ended_at or record.started_at
    return (
        record.provider,
        record.endpoint,
        record.model_requested,
        record.model_served,
        record.status.value,
        record.error_type,
        t.input,
        t.output,
        t.cached_read,
        t.cache_write_5m + t.cache_write_1h,
        t.reasoning,
        t.source,
        record.call_id.int,
        record.org,
        record.agent,
        record.run_id,
        record.streamed,
        record.finish_reason,
        record.host,
        record.http_status,
        None if cost.total_usd is None else str(cost.total_usd),
        cost.unpriced_reason,
        cost.price_version,
        record.ttft_ms,
        record.latency_ms,
        int(record.started_at.timestamp() * 1_000_000_000),
        int(ended.timestamp() * 1_000_000_000),
        traceparent,
        tracestate,
    )


def frame(batch: list[tuple[object, ...]]) -> bytes:
    body = marshal.dumps(batch)
    return len(body).to_bytes(_LENGTH, "little") + body


def read_frames(stream: IO[bytes]) -> Iterator[list[Call]]:
    """Each batch written by ``frame``, until end of file (a frame cut short by the writer's
    death is dropped)."""
    while len(head := stream.read(_LENGTH)) == _LENGTH:
        size = int.from_bytes(head, "little")
        body = stream.read(size)
        if len(body) < size:
            return
        yield [Call._make(fields) for fields in marshal.loads(body)]
