"""Queries over ingested records on the real app: run filters and pagination, a run's calls
and timeline, dashboard KPIs and cost reports that add up exactly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command

from control_plane import app_keys
from control_plane.api.costs import percentile
from control_plane.store.migrate import alembic_config, upgrade
from tests.control_plane.conftest import Session, SignUp, api_key, join
from tests.harness.records import T0, record


async def seeded(signup: SignUp) -> tuple[Session, dict[str, Any]]:
    """acme: team research with agents bot and crawler; 12 runs of 2 calls each."""
    owner = await signup(org="acme")
    team = await owner.ok("POST", "/teams", 201, json={"name": "research"})
    bot = await owner.ok("POST", "/agents", 201, json={"name": "bot", "team": "research"})
    await owner.ok("POST", "/agents", 201, json={"name": "crawler"})
    key = await api_key(owner, "ingest")
    batch = []
    for i in range(12):
        agent, model = ("bot", "gpt-4o") if i % 2 else ("crawler", "claude-3-5-haiku")
        started = T0 - timedelta(hours=i)
        for j in range(2):
            batch.append(record(
                agent=agent, run_id=f"run-{i:02d}", model=model, cost=f"0.{i + 1:02d}",
                provider="openai" if i % 2 else "anthropic", started_at=started + timedelta(minutes=j),
                status="error" if i == 3 and j == 1 else "ok", latency_ms=100.0 * (j + 1),
                tags={"env": "prod" if i < 6 else "staging"},
            ))  # fmt: skip
    answer = await key.ok("POST", "/ingest/batch", json={"records": batch})
    assert answer["stored"] == 24
    return owner, {"team": team, "bot": bot}


async def run_ids(owner: Session, **params: Any) -> list[str]:
    page = await owner.ok("GET", "/runs", params=params)
    return [r["run_id"] for r in page["items"]]


async def test_runs_filter_by_agent_team_status_model_provider_cost_and_tags(
    signup: SignUp,
) -> None:
    owner, _ = await seeded(signup)
    odd = [f"run-{i:02d}" for i in (1, 3, 5, 7, 9, 11)]
    assert await run_ids(owner, agent="bot") == odd
    assert await run_ids(owner, team="research") == odd
    assert await run_ids(owner, model="gpt-4o") == odd
    assert await run_ids(owner, provider="anthropic") == [
        f"run-{i:02d}" for i in (0, 2, 4, 6, 8, 10)
    ]
    assert await run_ids(owner, status="error") == ["run-03"]
    assert await run_ids(owner, min_cost="0.2", max_cost="0.22") == ["run-09", "run-10"]
    assert await run_ids(owner, tag="STAGING", agent="crawler") == ["run-06", "run-08", "run-10"]
    assert await run_ids(owner, agent="nobody") == []
    window = {"from": (T0 - timedelta(hours=2)).isoformat(), "to": T0.isoformat()}
    assert await run_ids(owner, **window) == ["run-01", "run-02"]


async def test_runs_paginate_by_start_or_cost_without_gaps_or_repeats(signup: SignUp) -> None:
    owner, _ = await seeded(signup)
    for sort, expected in (
        ("started_at", [f"run-{i:02d}" for i in range(12)]),
        ("cost", [f"run-{i:02d}" for i in reversed(range(12))]),
    ):
        seen: list[str] = []
        params: dict[str, Any] = {"sort": sort, "limit": 5}
        while True:
            page = await owner.ok("GET", "/runs", params=params)
            seen += [r["run_id"] for r in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == expected
    bad = await owner.call("GET", "/runs", params={"cursor": "garbage"})
    assert bad.status == 422


async def test_a_run_shows_its_calls_and_its_ordered_timeline(signup: SignUp) -> None:
    owner, _ = await seeded(signup)
    run = await owner.ok("GET", "/runs/run-03")
    assert (run["agent"], run["team"], run["status"], run["calls"], run["errors"]) == (
        "bot",
        "research",
        "error",
        2,
        1,
    )
    assert run["cost_usd"] == "0.0800000000"
    assert [c["status"] for c in run["call_list"]] == ["ok", "error"]
    same = await owner.ok("GET", f"/runs/{run['id']}")
    assert same["run_id"] == "run-03"
    timeline = await owner.ok("GET", f"/events/{run['id']}")
    assert [e["kind"] for e in timeline["items"]] == ["call.finished", "call.finished"]
    assert timeline["items"][0]["at"] < timeline["items"][1]["at"]
    assert (await owner.call("GET", "/runs/no-such-run")).status == 404


async def test_costs_add_up_exactly_whatever_the_grouping(signup: SignUp) -> None:
    owner, made = await seeded(signup)
    total = sum(Decimal(f"0.{i + 1:02d}") * 2 for i in range(12))
    for group_by in ("org", "team", "agent", "model", "provider", "day"):
        summary = await owner.ok("GET", "/costs/summary", params={"group_by": group_by})
        assert Decimal(summary["totals"]["cost_usd"]) == total
        assert sum(Decimal(g["figures"]["cost_usd"]) for g in summary["groups"]) == total
        assert summary["totals"]["calls"] == 24
    by_team = await owner.ok("GET", "/costs/summary", params={"group_by": "team"})
    assert sorted(g["label"] for g in by_team["groups"]) == ["(no team)", "research"]
    team = await owner.ok("GET", "/costs/by-team/research")
    agent = await owner.ok("GET", f"/costs/by-agent/{made['bot']['id']}")
    assert team["totals"] == agent["totals"]
    assert Decimal(team["totals"]["cost_usd"]) == sum(
        Decimal(f"0.{i + 1:02d}") * 2 for i in (1, 3, 5, 7, 9, 11)
    )
    assert [m["key"] for m in agent["by_model"]] == ["gpt-4o"]
    assert (await owner.call("GET", "/costs/by-team/nope")).status == 404


async def test_days_are_the_orgs_calendar_days(signup: SignUp) -> None:
    # 22:30 and 23:30 UTC on 10 January are 23:30 on the 10th and 00:30 on the 11th in Paris.
    owner = await signup(org="acme")
    bot = await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    key = await api_key(owner, "ingest")
    evening = datetime(2026, 1, 10, 22, 30, tzinfo=UTC)
    batch = [
        record(run_id="late", cost="0.25", started_at=evening),
        record(run_id="later", cost="0.50", started_at=evening + timedelta(hours=1)),
    ]
    assert (await key.ok("POST", "/ingest/batch", json={"records": batch}))["stored"] == 2
    span = {"from": "2026-01-09T00:00:00Z", "to": "2026-01-13T00:00:00Z"}

    async def days() -> dict[str, str]:
        summary = await owner.ok("GET", "/costs/summary", params={"group_by": "day", **span})
        by_agent = await owner.ok("GET", f"/costs/by-agent/{bot['id']}", params=span)
        assert [(p["at"], p["cost_usd"]) for p in by_agent["by_day"]] == [
            (g["key"], g["figures"]["cost_usd"]) for g in summary["groups"]
        ]
        return {g["key"]: g["figures"]["cost_usd"] for g in summary["groups"]}

    assert await days() == {"2026-01-10": "0.7500000000"}  # a new org's timezone is UTC
    await owner.ok("PATCH", "/orgs/profile", json={"timezone": "Europe/Paris"})
    assert await days() == {"2026-01-10": "0.2500000000", "2026-01-11": "0.5000000000"}
    await owner.ok("PATCH", "/orgs/profile", json={"timezone": "America/New_York"})
    assert await days() == {"2026-01-10": "0.7500000000"}  # 17:30 and 18:30 there


async def test_the_dashboard_shows_kpis_top_lists_and_a_trend(signup: SignUp) -> None:
    owner, made = await seeded(signup)
    home = await owner.ok("GET", "/dashboard/home", params={"window": "24h"})
    kpis = home["kpis"]
    assert (kpis["calls"], kpis["errors"], kpis["unpriced_calls"]) == (24, 1, 0)
    assert kpis["input_tokens"] == 2400
    # 12 calls at 100 ms (bucket 50-100) and 12 at 200 ms (bucket 100-200), interpolated
    assert (kpis["latency_ms_p50"], kpis["latency_ms_p95"]) == (100.0, 190.0)
    assert [a["label"] for a in home["top_agents"]] == ["bot", "crawler"]  # bot costs more
    assert sum(p["calls"] for p in home["trend"]) == 24
    assert Decimal(kpis["cost_usd"]) == sum(Decimal(p["cost_usd"]) for p in home["trend"])
    page = await owner.ok("GET", f"/dashboard/agent/{made['bot']['id']}")
    assert (page["name"], page["kpis"]["calls"], len(page["recent_runs"])) == ("bot", 12, 5)


async def test_every_role_and_read_keys_may_read_but_ingest_keys_may_not(signup: SignUp) -> None:
    owner, _ = await seeded(signup)
    viewer = await join(owner, signup, "viewer")
    reader = await api_key(owner, "read")
    for who in (viewer, reader):
        for path in ("/runs", "/dashboard/home", "/costs/summary", "/runs/run-01"):
            await who.ok("GET", path)
    ingest_key = await api_key(owner, "ingest")
    assert (await ingest_key.call("GET", "/runs")).status == 403


async def test_the_summary_counts_the_tokens_its_cost_leaves_out(
    signup: SignUp, pg_url: str
) -> None:
    owner = await signup(org="acme")
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    key = await api_key(owner, "ingest")
    batch = [
        record(run_id="r", cost=None, model="private-llm", input_tokens=300, output_tokens=40),
        record(run_id="r", cost="0.5"),
    ]
    assert (await key.ok("POST", "/ingest/batch", json={"records": batch}))["stored"] == 2
    span = {
        "from": (T0 - timedelta(days=2)).isoformat(),
        "to": (T0 + timedelta(days=1)).isoformat(),
    }

    async def unpriced() -> tuple[int, int, int]:
        totals = (await owner.ok("GET", "/costs/summary", params=span))["totals"]
        return (totals["unpriced_calls"], totals["unpriced_input_tokens"],
                totals["unpriced_output_tokens"])  # fmt: skip

    assert await unpriced() == (1, 300, 40)
    # Rollups written before migration 0021_cli: it fills their tokens in from the calls.
    await asyncio.to_thread(command.downgrade, alembic_config(pg_url), "0020")
    await asyncio.to_thread(upgrade, pg_url)
    assert await unpriced() == (1, 300, 40)


@pytest.mark.parametrize(
    ("buckets", "q", "mean", "expected"),
    [
        ([0], 0.5, None, None),  # no calls
        ([10, 0, 0], 0.5, None, 25.0),  # halfway through the 0-50 ms bucket
        ([10, 0, 0], 0.5, 6.0, 12.0),  # a 6 ms mean: p50 at most 2 x 6 ms, never 50 ms
        ([10, 0, 0], 0.95, 6.0, 47.5),  # Markov allows 120 ms: the bucket bound holds
        ([0, 4, 4], 0.5, None, 100.0),  # the quantile on a bucket's upper edge
        ([0] * 11 + [3], 0.5, None, 60_000.0),  # the open last bucket: its lower bound
        ([1, 0, 0], 0.5, 24.0, 24.0),  # one call: its latency, at every quantile
        ([1, 0, 0], 0.95, 24.0, 24.0),
        ([0, 1, 0], 0.5, None, 75.0),  # one call, its latency unknown: the bucket's middle
    ],
)
def test_latency_percentiles_are_interpolated_within_their_bucket(
    buckets: list[int], q: float, mean: float | None, expected: float | None
) -> None:
    assert percentile(buckets, q, mean) == expected


async def test_a_paused_run_is_resumed_once_audited_and_checked(signup: SignUp) -> None:
    owner, _ = await seeded(signup)
    counters = owner.client.app[app_keys.STATE_BUS].runs
    assert counters is not None
    slug = (await owner.ok("GET", "/orgs/profile"))["slug"]
    not_paused = await owner.ok("POST", "/runs/run-01/resume", 404, json={})
    assert not_paused["error"]["code"] == "not_paused"
    missing = await owner.ok("POST", "/runs/no-such-run/resume", 404, json={})
    assert missing["error"]["code"] == "not_found"

    await counters.pause(f"{slug}:run-01", "policy 'loops' paused it", 600)
    viewer = await join(owner, signup, "viewer")
    await viewer.ok("POST", "/runs/run-01/resume", 403, json={})
    too_long = await owner.ok("POST", "/runs/run-01/resume", 422, json={"reason": "x" * 1001})
    assert too_long["error"]["code"] == "validation_error"
    assert await counters.paused(f"{slug}:run-01") == "policy 'loops' paused it"

    resumed = await owner.ok("POST", "/runs/run-01/resume", json={"reason": "checked"})
    assert (resumed["run_id"], resumed["pause"]) == ("run-01", "policy 'loops' paused it")
    assert await counters.paused(f"{slug}:run-01") is None
    again = await owner.ok("POST", "/runs/run-01/resume", 404, json={})
    assert again["error"]["code"] == "not_paused"
    [entry] = (await owner.ok("GET", "/audit-logs", params={"action": "run.resume"}))["items"]
    assert (entry["entity_id"], entry["after"]["reason"]) == (resumed["id"], "checked")
