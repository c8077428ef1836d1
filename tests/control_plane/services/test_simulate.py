"""Simulation over stored calls: its counts equal a SQL count over the same window, groups no
policy can match are never read one by one, and per-call conditions are replayed per call."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from control_plane import app_keys
from control_plane.store.tables import Call
from tests.harness.api_org import Org, app_of, call_record
from tests.harness.api_org import org as org

NOW = datetime.now(UTC)


async def sql_count(org: Org, *conditions: Any) -> tuple[int, Decimal]:
    app = app_of(org)
    org_id = uuid.UUID(org.owner.org_id)
    since = NOW - timedelta(days=30, minutes=5)
    async with app[app_keys.DATABASE].transaction(org_id) as session:
        stmt = select(func.count(), func.coalesce(func.sum(Call.cost_usd), 0)).where(
            Call.org_id == org_id, Call.started_at >= since, *conditions
        )
        count, cost = (await session.execute(stmt)).one()
    return int(count), Decimal(cost)


async def test_a_simulation_equals_a_sql_count_over_the_same_window(org: Org) -> None:
    await org.team("batch")
    await org.agent("loader", team="batch")
    await org.agent("chat")
    records = []
    for i in range(30):
        days = i + 15 if i % 5 == 0 else i % 28  # i = 15, 20, 25: older than the window
        when = NOW - timedelta(days=days, hours=1)
        model = ("gpt-4o", "gpt-4o-mini", "gpt-4.1")[i % 3]
        agent = ("loader", "chat")[i % 2]
        records.append(call_record(org.slug, agent, Decimal("0.01") * (i + 1), when, model=model))
    records.append(call_record(org.slug, "chat", None, NOW - timedelta(hours=2), model="gpt-4o"))
    await org.ingest_calls(*records)

    drafts = [
        {"name": "no-4o", "action": "deny", "when": {"models": ["gpt-4o"]}},
        {"name": "cheaper", "action": "route", "route_to": "gpt-4o-mini",
         "when": {"models": ["gpt-4.1*"]}},
        {"name": "batch-watch", "action": "deny", "mode": "shadow",
         "scope": {"kind": "team", "values": ["batch"]}},
    ]  # fmt: skip
    report = await org.owner.ok("POST", "/policies/simulate", json={"policies": drafts})

    denied, denied_usd = await sql_count(org, Call.model_requested == "gpt-4o")
    totals = report["totals"]
    assert totals["counts"]["denied"] == denied
    assert Decimal(totals["dollars"]["denied"]) == denied_usd
    assert totals["unpriced"]["denied"] == 1  # unknown, not $0
    rerouted, _ = await sql_count(org, Call.model_requested == "gpt-4.1")
    assert totals["counts"]["rerouted"] == rerouted
    assert Decimal(totals["rerouted_cost_at_new_model_usd"]) > 0
    scanned, _ = await sql_count(org)
    assert report["calls_scanned"] == scanned
    assert report["calls_replayed_one_by_one"] == 0  # every condition was decided per group
    rows = {(r["agent"], r["team"]): r for r in report["rows"]}
    loader = rows[("loader", "batch")]
    batch_calls, _ = await sql_count(org, Call.agent_id == await agent_id(org, "loader"))
    assert loader["calls"] == batch_calls
    # Shadow: would have denied every batch call; the enforced deny outranks it on gpt-4o calls.
    assert loader["would_have"]["batch-watch"] == batch_calls
    assert ("chat", None) in rows
    assert await org.owner.ok("GET", "/policies") == {"items": [], "next_cursor": None}


async def agent_id(org: Org, name: str) -> uuid.UUID:
    agents = await org.owner.ok("GET", "/agents")
    [found] = [a for a in agents["items"] if a["name"] == name]
    return uuid.UUID(found["id"])


async def test_per_call_conditions_are_replayed_call_by_call(org: Org) -> None:
    await org.agent("bot")
    weekday = NOW - timedelta(days=(NOW.weekday() - 2) % 7 or 7)  # a recent Wednesday
    starts = [(3, 0, 0), (8, 59, 59), (9, 0, 0), (10, 0, 0), (15, 0, 0), (16, 59, 59),
              (17, 0, 0), (22, 0, 0)]  # fmt: skip
    records = [
        call_record(
            org.slug,
            "bot",
            "0.01",
            weekday.replace(hour=h, minute=m, second=s),
            model="gpt-4o-mini",
        )
        for h, m, s in starts
    ]
    await org.ingest_calls(*records)
    office = {"name": "office-hours", "action": "deny",
              "when": {"time_window": {"days": ["wed"], "start": "09:00", "end": "17:00"}}}  # fmt: skip
    report = await org.owner.ok("POST", "/policies/simulate", json={"policies": [office]})
    # Only a time window: summed per minute in SQL, exact at the window's edges.
    assert (report["calls_replayed_one_by_one"], report["minutes_replayed"]) == (0, 8)
    assert report["totals"]["counts"]["denied"] == 4
    sized = office | {"when": office["when"] | {"request_bytes_over": 0}}
    report = await org.owner.ok("POST", "/policies/simulate", json={"policies": [sized]})
    assert report["calls_replayed_one_by_one"] == 8  # request size is read call by call


async def test_bad_drafts_get_a_422(org: Org) -> None:
    answer = await org.owner.ok(
        "POST", "/policies/simulate", 422, json={"policies": [{"name": "r", "action": "route"}]}
    )
    assert "route_to" in str(answer["error"])
    await org.owner.ok("POST", "/policies/simulate", 422, json={"policies": []})


async def test_calls_and_tokens_per_run_are_replayed_in_run_order(org: Org) -> None:
    await org.agent("bot")
    await org.agent("other")
    minutes = iter(range(1000))
    records = []

    def step(run: str, model: str = "gpt-4o-mini", agent: str = "bot", days: int = 1) -> None:
        when = NOW - timedelta(days=days, minutes=500 - next(minutes))
        records.append(call_record(org.slug, agent, "0.01", when, model=model, run_id=run,
                                   input_tokens=100))  # fmt: skip

    step("run-a", days=40)  # before the window: the run is counted from the window's start
    for _ in range(5):
        step("run-a")
    step("run-b")
    step("run-b")
    for model in ("gpt-4o-mini", "gpt-4o", "gpt-4o-mini", "gpt-4o"):  # one run, two models
        step("run-c", model)
    for _ in range(4):
        step("run-d", agent="other")  # not in the policies' scope, still its own run
    await org.ingest_calls(*records)

    busy = {"name": "busy-runs", "action": "deny", "scope": {"kind": "agent", "values": ["bot"]},
            "when": {"run_calls_over": 2, "models": ["gpt-4o-mini"]}}  # fmt: skip
    report = await org.owner.ok("POST", "/policies/simulate", json={"policies": [busy]})
    expected = await run_count(org, "n > 2", model="gpt-4o-mini", agent="bot")
    assert report["totals"]["counts"]["denied"] == expected == 4  # a: 3rd-5th, c: 3rd
    assert report["calls_replayed_one_by_one"] == 9  # bot's gpt-4o-mini calls

    heavy = {"name": "heavy-runs", "action": "alert", "when": {"run_tokens_over": 250}}
    report = await org.owner.ok("POST", "/policies/simulate", json={"policies": [heavy]})
    expected = await run_count(org, "tokens > 250")
    assert report["totals"]["counts"]["alerted"] == expected == 3 + 2 + 2
    assert not any("not replayed" in note for note in report["limitations"])


async def run_count(org: Org, condition: str, **where: str) -> int:
    """Calls of the window whose place in their run meets ``condition``, by window functions
    over each run's calls in time order (the simulation's own window: 30 days)."""
    app = app_of(org)
    org_id = uuid.UUID(org.owner.org_id)
    since = NOW - timedelta(days=30)
    filters = "".join(f" AND {k} = :{k}" for k in where)
    sql = f"""
        SELECT count(*) FROM (
            SELECT c.model_requested AS model, a.name AS agent,
                   row_number() OVER (PARTITION BY c.run_pk ORDER BY c.started_at, c.call_id) AS n,
                   sum(c.input_tokens) OVER (PARTITION BY c.run_pk ORDER BY c.started_at,
                                             c.call_id) AS tokens
            FROM calls c JOIN agents a ON a.id = c.agent_id
            WHERE c.org_id = :org AND c.started_at >= :since
        ) AS placed WHERE {condition}{filters}
    """  # the conditions are this test's own literals
    async with app[app_keys.DATABASE].transaction(org_id) as session:
        found = await session.execute(text(sql), {"org": org_id, "since": since, **where})
    return int(found.scalar_one())
