"""Turn validated records into rows and deltas: pure functions, no I/O.

Rollups and run aggregates count a call once, when its final record is stored (an
``in_progress`` record only marks the run as running). Money is quantised to the column's 10
decimal places here, so the deltas added up in SQL equal the sum of what the calls table holds.
"""

from __future__ import annotations

import bisect
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from agentops.wire.record import CallRecord, CallStatus
from control_plane.ingest.derived import StoredCall
from control_plane.store.open_calls import REOPEN_DELTAS
from control_plane.store.tables.rollups import BUCKET_COLUMNS, LATENCY_BOUNDS_MS, NO_TEAM

QUANTUM = Decimal(1).scaleb(-10)


def money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(QUANTUM)


# Record fields that have their own column; the rest of the record (token and cost details,
# tool names, tags, captured content...) is kept as the row's JSON document.
IN_COLUMNS = frozenset({
    "call_id", "org", "agent", "run_id", "run_source", "proxy_id", "provider", "endpoint",
    "method", "host", "path", "metered", "model_requested", "model_served", "streamed",
    "service_tier", "status", "http_status", "error_type", "error_message", "parse_error",
    "started_at", "ended_at", "latency_ms", "ttft_ms",
})  # fmt: skip


def call_row(stored: StoredCall, document: dict[str, Any]) -> dict[str, Any]:
    """The calls row; ``document`` is the record as sent (JSON-ready, so no re-dump)."""
    r = stored.record
    t = r.tokens
    return {
        "call_id": r.call_id,
        "started_at": r.started_at,
        "org_id": stored.org_id,
        "agent_id": stored.agent_id,
        "team_id": stored.team_id,
        "run_pk": stored.run_pk,
        "run_source": r.run_source,
        "proxy_id": r.proxy_id,
        "provider": r.provider[:50],
        "endpoint": r.endpoint[:50],
        "method": r.method[:10],
        "host": r.host[:255],
        "path": r.path[:2000],
        "metered": r.metered,
        "model": model_key(r),
        "model_requested": r.model_requested,
        "model_served": r.model_served,
        "streamed": r.streamed,
        "service_tier": r.service_tier,
        "status": r.status.value,
        "http_status": r.http_status,
        "error_type": r.error_type,
        "error_message": r.error_message,
        "parse_error": r.parse_error,
        "input_tokens": t.input,
        "output_tokens": t.output,
        "cached_read_tokens": t.cached_read,
        "cache_write_tokens": t.cache_write_5m + t.cache_write_1h,
        "reasoning_tokens": t.reasoning,
        "token_source": t.source,
        "cost_usd": money(r.cost.total_usd),
        "price_version": r.cost.price_version,
        "unpriced_reason": r.cost.unpriced_reason,
        "ended_at": r.ended_at,
        "latency_ms": r.latency_ms,
        "ttft_ms": r.ttft_ms,
        "record": {k: v for k, v in document.items() if k not in IN_COLUMNS},
    }


def model_key(record: CallRecord) -> str:
    return (record.model_served or record.model_requested or "")[:200]


def is_error(record: CallRecord) -> bool:
    return record.status not in (CallStatus.OK, CallStatus.IN_PROGRESS)


def latency_bucket(latency_ms: float) -> int:
    return bisect.bisect_left(LATENCY_BOUNDS_MS, latency_ms)


def hour_of(at: datetime) -> datetime:
    """The UTC hour of an instant: a record stamped +05:30 must land in the same UTC-aligned
    rollup hour as every other record of that instant (naive times are taken as UTC)."""
    utc = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def rollup_rows(stored: list[StoredCall]) -> list[dict[str, Any]]:
    """One delta row per rollup key, from the calls of this batch that became final."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in stored:
        if not s.final:
            continue
        r = s.record
        key = (s.org_id, hour_of(r.started_at), s.agent_id, s.team_id or NO_TEAM,
               model_key(r), r.provider[:50])  # fmt: skip
        row = rows.get(key)
        if row is None:
            row = rows[key] = empty_rollup(key)
        count_call(row, r)
        row["cached_read_tokens"] += r.tokens.cached_read
        row["cache_write_tokens"] += r.tokens.cache_write_5m + r.tokens.cache_write_1h
        row["reasoning_tokens"] += r.tokens.reasoning
        if money(r.cost.total_usd) is None:  # count_call counted the call as unpriced
            row["unpriced_input_tokens"] += r.tokens.input
            row["unpriced_output_tokens"] += r.tokens.output
        if r.latency_ms is not None:
            row["latency_count"] += 1
            row["latency_ms_sum"] += r.latency_ms
            row[BUCKET_COLUMNS[latency_bucket(r.latency_ms)]] += 1
    return list(rows.values())


def count_call(row: dict[str, Any], r: CallRecord) -> None:
    """Add one finished call to an aggregate row: calls, errors, tokens in and out, and its
    cost, or one more unpriced call (never $0)."""
    row["calls"] += 1
    row["errors"] += is_error(r)
    row["input_tokens"] += r.tokens.input
    row["output_tokens"] += r.tokens.output
    cost = money(r.cost.total_usd)
    if cost is None:
        row["unpriced_calls"] += 1
    else:
        row["cost_usd"] += cost


def empty_rollup(key: tuple[Any, ...]) -> dict[str, Any]:
    org_id, hour, agent_id, team_id, model, provider = key
    row: dict[str, Any] = {
        "org_id": org_id, "hour": hour, "agent_id": agent_id, "team_id": team_id,
        "model": model, "provider": provider, "calls": 0, "errors": 0, "input_tokens": 0,
        "output_tokens": 0, "cached_read_tokens": 0, "cache_write_tokens": 0,
        "reasoning_tokens": 0, "cost_usd": Decimal(0), "unpriced_calls": 0,
        "unpriced_input_tokens": 0, "unpriced_output_tokens": 0,
        "latency_count": 0, "latency_ms_sum": 0.0,
    }  # fmt: skip
    row.update(dict.fromkeys(BUCKET_COLUMNS, 0))
    return row


def run_rows(stored: list[StoredCall]) -> list[dict[str, Any]]:
    """One delta row per run: what this batch adds to the run's aggregates."""
    runs: dict[uuid.UUID, dict[str, Any]] = {}
    for s in stored:
        r = s.record
        row = runs.get(s.run_pk)
        if row is None:
            row = runs[s.run_pk] = {
                "id": s.run_pk, "org_id": s.org_id, "run_key": r.run_id,
                "run_source": r.run_source, "agent_id": s.agent_id, "team_id": s.team_id,
                "calls": 0, "in_progress": 0, "errors": 0, "input_tokens": 0,
                "output_tokens": 0, "cost_usd": Decimal(0), "unpriced_calls": 0,
                "started_at": r.started_at, "last_at": r.ended_at or r.started_at,
                "tags": dict(r.tags),
            }  # fmt: skip
        row["started_at"] = min(row["started_at"], r.started_at)
        row["last_at"] = max(row["last_at"], r.ended_at or r.started_at)
        if not s.final:
            row["in_progress"] += 1
            continue
        if s.reopened:  # take back what the open-call closer counted for it
            for name, delta in REOPEN_DELTAS.items():
                row[name] += delta
        row["in_progress"] -= s.superseded
        count_call(row, r)
    for row in runs.values():
        row["status"] = run_status(row["in_progress"], row["errors"])
    return list(runs.values())


def run_status(in_progress: int, errors: int) -> str:
    if in_progress > 0:
        return "running"
    return "error" if errors > 0 else "ok"


def event_id(run: uuid.UUID, kind: str, at: datetime, data: dict[str, Any]) -> uuid.UUID:
    """Events an SDK reports carry no id: derive one, so a resent report is stored once."""
    body = json.dumps(data, sort_keys=True, default=str)
    return uuid.uuid5(run, f"{kind}|{at.isoformat()}|{body}")
