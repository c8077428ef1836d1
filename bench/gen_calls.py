"""Generate a realistic call history straight into PostgreSQL, fast, with consistent aggregates.

Calls: ``n`` calls over the last ``days`` days, 10 calls per run, each run by one agent of the
org (agents take turns), six models with their own prices and token sizes, lognormal-ish
latencies, 2 % provider errors, 1 % unpriced calls, and a daily rhythm (busier working hours).
All of it is one ``INSERT … SELECT … FROM generate_series`` (no client round trip per row);
then ``runs`` and the hourly and daily rollups are computed from the generated calls with the same rules
as ingestion (final calls only, errors = status <> 'ok', bucket i holds latencies in
(bound[i-1], bound[i]]), so dashboards and the fact table agree exactly.

    .venv/bin/python bench/gen_calls.py DATABASE_URL ORG_ID [--calls 1000000] [--days 30]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from control_plane.store.tables.rollups import LATENCY_BOUNDS_MS

# model, provider, USD per input token, USD per output token
MODELS = [
    ("gpt-4o", "openai", "0.0000025", "0.00001"),
    ("gpt-4o-mini", "openai", "0.00000015", "0.0000006"),
    ("o3-mini", "openai", "0.0000011", "0.0000044"),
    ("claude-sonnet-4-6", "anthropic", "0.000003", "0.000015"),
    ("claude-3-5-haiku", "anthropic", "0.0000008", "0.000004"),
    ("gemini-2.0-flash", "gemini", "0.0000001", "0.0000004"),
]

CALLS_SQL = """
WITH a AS (
    SELECT id, team_id, (row_number() OVER (ORDER BY name)) - 1 AS n, count(*) OVER () AS k
    FROM agents WHERE org_id = %(org)s
), m(idx, model, provider, p_in, p_out) AS (
    SELECT * FROM unnest(%(mi)s::int[], %(mm)s::text[], %(mp)s::text[], %(pin)s::numeric[], %(pout)s::numeric[])
), g AS (
    SELECT i, i / 10 AS run,
           -- runs spread over the window, denser in working hours (a daily rhythm)
           now() - %(days)s * interval '1 day'
             + ((i / 10) * %(days)s * 86400.0 / (%(n)s / 10)) * interval '1 second'
             + (i %% 10) * interval '7 seconds' AS ts,
           random() AS r1, random() AS r2, random() AS r3
    FROM generate_series(0, %(n)s - 1) AS i
), c AS (
    SELECT g.*, a.id AS agent_id, a.team_id,
           (a.n + (g.run %% 3)) %% 6 AS model_idx,
           CASE WHEN g.r3 < 0.02 THEN 'error' ELSE 'ok' END AS status,
           (150 + g.r1 * g.r1 * 6000)::bigint AS tin,
           (20 + g.r2 * 900)::bigint AS tout,
           exp(5.5 + g.r2 * 2.2) AS latency
    FROM g JOIN a ON a.n = g.run %% a.k
)
INSERT INTO calls (call_id, started_at, org_id, agent_id, team_id, run_pk, run_source, proxy_id,
    provider, endpoint, method, host, path, metered, model, model_requested, model_served,
    streamed, service_tier, status, http_status, error_type, error_message, parse_error,
    input_tokens, output_tokens, cached_read_tokens, cache_write_tokens, reasoning_tokens,
    token_source, cost_usd, price_version, unpriced_reason, ended_at, latency_ms, ttft_ms, record)
SELECT gen_random_uuid(), c.ts, %(org)s, c.agent_id, c.team_id,
       md5(%(org)s::text || ':gen-' || c.run)::uuid, 'header', 'bench-proxy',
       m.provider, 'chat.completions', 'POST', 'api.example.com', '/v1/chat/completions', true,
       m.model, m.model, m.model, c.r1 < 0.4, NULL, c.status,
       CASE WHEN c.status = 'ok' THEN 200 ELSE 500 END,
       CASE WHEN c.status = 'ok' THEN NULL ELSE 'http_500' END, NULL, NULL,
       c.tin, c.tout, c.tin / 4, 0, 0, 'reported',
       CASE WHEN c.r3 > 0.99 THEN NULL ELSE round(c.tin * m.p_in + c.tout * m.p_out, 10) END,
       '2026-11-01', CASE WHEN c.r3 > 0.99 THEN 'unpriced_model' END,
       c.ts + c.latency * interval '1 millisecond', round(c.latency::numeric, 3), NULL,
       '{"tags": {"env": "prod"}}'::jsonb
FROM c JOIN m ON m.idx = c.model_idx
"""

RUNS_SQL = """
INSERT INTO runs (id, org_id, run_key, run_source, agent_id, team_id, status, calls, in_progress,
    errors, input_tokens, output_tokens, cost_usd, unpriced_calls, started_at, last_at, tags)
SELECT run_pk, org_id, 'gen-' || run_pk::text, 'header', min(agent_id::text)::uuid,
       min(team_id::text)::uuid,
       CASE WHEN count(*) FILTER (WHERE status <> 'ok') > 0 THEN 'error' ELSE 'ok' END,
       count(*), 0, count(*) FILTER (WHERE status <> 'ok'), sum(input_tokens), sum(output_tokens),
       coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL),
       min(started_at), max(coalesce(ended_at, started_at)), '{"env": "prod"}'
FROM calls WHERE org_id = %(org)s GROUP BY run_pk, org_id
"""


def _rollups_sql() -> str:
    bounds = LATENCY_BOUNDS_MS
    buckets = [f"count(*) FILTER (WHERE latency_ms <= {bounds[0]})"]
    buckets += [
        f"count(*) FILTER (WHERE latency_ms > {lo} AND latency_ms <= {hi})"
        for lo, hi in itertools.pairwise(bounds)
    ]
    buckets.append(f"count(*) FILTER (WHERE latency_ms > {bounds[-1]})")
    names = ", ".join(f"lat_b{i}" for i in range(len(buckets)))
    return f"""
INSERT INTO cost_rollups (org_id, hour, agent_id, team_id, model, provider, calls, errors,
    input_tokens, output_tokens, cached_read_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd, unpriced_calls, latency_count, latency_ms_sum, {names})
SELECT org_id, date_trunc('hour', started_at), agent_id,
       coalesce(team_id, '00000000-0000-0000-0000-000000000000'), model, provider, count(*),
       count(*) FILTER (WHERE status <> 'ok'), sum(input_tokens), sum(output_tokens),
       sum(cached_read_tokens), sum(cache_write_tokens), sum(reasoning_tokens),
       coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL),
       count(latency_ms), coalesce(sum(latency_ms), 0), {", ".join(buckets)}
FROM calls WHERE org_id = %(org)s
GROUP BY org_id, date_trunc('hour', started_at), agent_id, team_id, model, provider
"""


def _daily_sql() -> str:
    counters = ["calls", "errors", "input_tokens", "output_tokens", "cached_read_tokens",
                "cache_write_tokens", "reasoning_tokens", "cost_usd", "unpriced_calls",
                "latency_count", "latency_ms_sum"] + [f"lat_b{i}" for i in range(12)]  # fmt: skip
    return f"""
INSERT INTO cost_rollups_daily (org_id, day, agent_id, team_id, model, provider, {", ".join(counters)})
SELECT org_id, date_trunc('day', hour), agent_id, team_id, model, provider,
       {", ".join(f"sum({c})" for c in counters)}
FROM cost_rollups WHERE org_id = %(org)s
GROUP BY org_id, date_trunc('day', hour), agent_id, team_id, model, provider
"""


def generate(
    database_url: str, org_id: str, calls: int = 1_000_000, days: int = 30
) -> dict[str, float]:
    """Insert the calls, then their runs and rollups. Connects as the owner (no RLS)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    params = {
        "org": org_id, "n": calls, "days": days,
        "mi": list(range(len(MODELS))), "mm": [m[0] for m in MODELS],
        "mp": [m[1] for m in MODELS], "pin": [m[2] for m in MODELS], "pout": [m[3] for m in MODELS],
    }  # fmt: skip
    timings: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET work_mem = '256MB'")
        for name, sql in (
            ("calls", CALLS_SQL),
            ("runs", RUNS_SQL),
            ("rollups", _rollups_sql()),
            ("daily", _daily_sql()),
        ):
            t = time.perf_counter()
            conn.execute(sql, params)
            timings[name] = time.perf_counter() - t
        conn.execute("ANALYZE calls")
        conn.execute("ANALYZE runs")
        conn.execute("ANALYZE cost_rollups")
        conn.execute("ANALYZE cost_rollups_daily")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("org_id")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    for name, seconds in generate(args.database_url, args.org_id, args.calls, args.days).items():
        print(f"{name:8} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
