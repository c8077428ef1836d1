"""Overrides, org prices at ingestion, unpriced listing and re-pricing, on both engines.

Re-pricing must leave every aggregate equal to the sum over its calls (checked in SQL), and
record each corrected call with its old and new cost and price versions.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from control_plane.errors import ValidationFailedError
from control_plane.services.prices import PriceCache, load_org_prices
from control_plane.services.reprice import reprice_calls
from control_plane.store import prices
from control_plane.store.engine import Database
from control_plane.store.prices import CallScope
from control_plane.store.tables import Call, CostCorrection
from pricing import Usage, load_bundled_table, price_call
from tests.harness.prices import assert_aggregates_match_calls, ingest
from tests.harness.records import T0, record
from tests.harness.store_org import Org

BUNDLED = load_bundled_table().version
PRIVATE = "acme-private-llm"


async def set_price(db: Database, org: Org, model: str, **rates: Any) -> int:
    async with db.transaction(org.id) as session:
        values = {"model": model, "provider": rates.pop("provider", "openai")}
        values |= {k: Decimal(v) for k, v in rates.items()}
        row = await prices.create_override(session, org.id, values, "test")
        return row.version


async def costs(db: Database, org: Org) -> dict[str, tuple[Decimal | None, str | None]]:
    async with db.transaction(org.id) as session:
        rows = await session.execute(select(Call.call_id, Call.cost_usd, Call.price_version))
        return {str(i): (c, v) for i, c, v in rows}


async def test_every_override_change_is_a_new_version(db: Database, org: Org) -> None:
    assert await set_price(db, org, "gpt-4o", input="2", output="8") == 1
    assert await set_price(db, org, "gpt-4o", input="1.5", output="6") == 2
    assert await set_price(db, org, PRIVATE, input="1") == 3
    async with db.transaction(org.id) as session:
        in_force = await prices.list_overrides(session, org.id)
        assert [(r.model, r.input, r.version) for r in in_force] == [
            ("gpt-4o", Decimal("1.5"), 2),
            (PRIVATE, Decimal(1), 3),
        ]
        assert await prices.delete_override(session, in_force[0]) == 4
        assert await prices.get_override_version(session, org.id) == 4
        assert [r.model for r in await prices.list_overrides(session, org.id)] == [PRIVATE]
        loaded = await load_org_prices(session, org.id)
    assert loaded.table_at(T0).table.version == f"{BUNDLED}+org.4"


async def test_ingest_prices_covered_models_at_the_override(db: Database, org: Org) -> None:
    await set_price(db, org, "gpt-4o-mini", input="0.1", output="0.5")
    covered = record(model="gpt-4o-mini", input_tokens=1_000_000, output_tokens=1_000)
    other = record(model="gpt-4o", cost="0.0123")
    cache = PriceCache()
    await ingest(db, org, [covered, other], cache)
    stored = await costs(db, org)
    assert stored[covered["call_id"]] == (Decimal("0.1005"), f"{BUNDLED}+org.1")
    assert stored[other["call_id"]] == (Decimal("0.0123"), "2026-11-01")
    # The cached set serves the next batch; a new override version replaces it.
    await set_price(db, org, "gpt-4o-mini", input="0.2", output="0.5")
    later = record(model="gpt-4o-mini", input_tokens=1_000_000, output_tokens=0)
    await ingest(db, org, [later], cache)
    assert (await costs(db, org))[later["call_id"]] == (Decimal("0.2"), f"{BUNDLED}+org.2")
    await assert_aggregates_match_calls(db, org.id)


async def test_an_org_without_overrides_keeps_the_proxy_cost(db: Database, org: Org) -> None:
    sent = record(model="gpt-4o-mini", cost="0.0012")
    await ingest(db, org, [sent])
    assert (await costs(db, org))[sent["call_id"]] == (Decimal("0.0012"), "2026-11-01")


def _bundled(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    usage = Usage(input=input_tokens, output=output_tokens)
    total = price_call(model, usage, provider="openai").total_usd
    assert total is not None
    return total


async def _mixed_calls(db: Database, org: Org) -> dict[str, dict[str, Any]]:
    """A mispriced call, an unpriced private model (two runs), a correct one, a running one."""
    calls = {
        "wrong": record(model="gpt-4o-mini", cost="1", run_id="a", started_at=T0),
        "private1": record(model=PRIVATE, cost=None, run_id="a", input_tokens=2_000_000,
                           output_tokens=0, started_at=T0 + timedelta(minutes=5)),
        "private2": record(model=PRIVATE, cost=None, run_id="b", input_tokens=1_000_000,
                           output_tokens=500_000, started_at=T0 + timedelta(hours=1)),
        "right": record(model="gpt-4o-mini", cost=str(_bundled("gpt-4o-mini", 100, 20)),
                        run_id="b", started_at=T0 + timedelta(hours=1)),
        "running": record(model=PRIVATE, cost=None, run_id="b", status="in_progress"),
    }  # fmt: skip
    await ingest(db, org, list(calls.values()))
    return calls


def _scope(org: Org, **kw: Any) -> CallScope:
    return CallScope(org.id, T0 - timedelta(hours=1), T0 + timedelta(hours=3), **kw)


async def test_reprice_records_corrections_and_keeps_aggregates_exact(
    db: Database, org: Org
) -> None:
    calls = await _mixed_calls(db, org)
    await set_price(db, org, PRIVATE, input="1.25", output="3")
    async with db.transaction(org.id) as session:
        current = await load_org_prices(session, org.id)
        outcome = await reprice_calls(session, _scope(org), current, actor="t", dry_run=False)
    assert (outcome.examined, outcome.changed, outcome.newly_priced) == (4, 3, 2)
    version = f"{BUNDLED}+org.1"
    stored = await costs(db, org)
    wrong, p1, p2 = _bundled("gpt-4o-mini", 100, 20), Decimal("2.5"), Decimal("2.75")
    assert stored[calls["wrong"]["call_id"]] == (wrong, version)
    assert stored[calls["private1"]["call_id"]] == (p1, version)
    assert stored[calls["private2"]["call_id"]] == (p2, version)
    assert stored[calls["right"]["call_id"]][1] == "2026-11-01"  # unchanged, untouched
    assert stored[calls["running"]["call_id"]] == (None, None)
    assert (outcome.old_total, outcome.new_total) == (Decimal(1), wrong + p1 + p2)
    async with db.transaction(org.id) as session:
        rows = await prices.list_corrections(session, org.id, outcome.batch_id)
    assert [(str(r.call_id), r.old_total, r.new_total, r.old_price_version,
             r.new_price_version, r.actor) for r in rows] == [
        (calls["wrong"]["call_id"], Decimal(1), wrong, "2026-11-01", version, "t"),
        (calls["private1"]["call_id"], None, p1, None, version, "t"),
        (calls["private2"]["call_id"], None, p2, None, version, "t"),
    ]  # fmt: skip
    await assert_aggregates_match_calls(db, org.id)


async def test_reprice_by_model_and_again_changes_nothing(db: Database, org: Org) -> None:
    calls = await _mixed_calls(db, org)
    await set_price(db, org, PRIVATE, input="1", output="2")
    async with db.transaction(org.id) as session:
        current = await load_org_prices(session, org.id)
        first = await reprice_calls(session, _scope(org, model=PRIVATE), current, actor=None,
                                    dry_run=False)  # fmt: skip
    assert first.changed == 2
    assert (await costs(db, org))[calls["wrong"]["call_id"]][0] == Decimal(1)  # not in scope
    async with db.transaction(org.id) as session:
        again = await reprice_calls(session, _scope(org), current, actor=None, dry_run=False)
    assert again.changed == 1  # only the mispriced gpt-4o-mini call is left
    async with db.transaction(org.id) as session:
        third = await reprice_calls(session, _scope(org), current, actor=None, dry_run=False)
        assert third.changed == 0
    await assert_aggregates_match_calls(db, org.id)


async def test_a_dry_run_writes_nothing(db: Database, org: Org) -> None:
    await _mixed_calls(db, org)
    await set_price(db, org, PRIVATE, input="1", output="2")
    before = await costs(db, org)
    async with db.transaction(org.id) as session:
        current = await load_org_prices(session, org.id)
        outcome = await reprice_calls(session, _scope(org), current, actor=None, dry_run=True)
    assert outcome.changed == 3
    assert await costs(db, org) == before
    async with db.transaction(org.id) as session:
        count = select(func.count()).select_from(CostCorrection)
        assert (await session.execute(count)).scalar_one() == 0
        unpriced = await prices.list_unpriced(session, org.id, T0 - timedelta(hours=1),
                                              T0 + timedelta(hours=3))  # fmt: skip
    assert [(u.model, u.calls) for u in unpriced] == [(PRIVATE, 2)]
    await assert_aggregates_match_calls(db, org.id)


async def test_unpriced_models_are_listed_until_priced(db: Database, org: Org) -> None:
    await _mixed_calls(db, org)
    await ingest(db, org, [record(model="other-llm", cost=None, started_at=T0)])
    start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=3)
    async with db.transaction(org.id) as session:
        found = await prices.list_unpriced(session, org.id, start, end)
        assert [(u.model, u.provider, u.calls) for u in found] == [
            (PRIVATE, "openai", 2),
            ("other-llm", "openai", 1),
        ]
        assert found[0].first_seen == T0 + timedelta(minutes=5)
        assert await prices.list_unpriced(session, org.id, end, end + timedelta(hours=1)) == []
    await set_price(db, org, PRIVATE, input="1", output="2")
    async with db.transaction(org.id) as session:
        current = await load_org_prices(session, org.id)
        await reprice_calls(session, _scope(org), current, actor=None, dry_run=False)
        found = await prices.list_unpriced(session, org.id, start, end)
    assert [u.model for u in found] == ["other-llm"]


async def test_a_range_over_the_limit_is_refused(db: Database, org: Org) -> None:
    await _mixed_calls(db, org)
    async with db.transaction(org.id) as session:
        current = await load_org_prices(session, org.id)
        with pytest.raises(ValidationFailedError, match="4 calls, more than the 3"):
            await reprice_calls(
                session, _scope(org), current, actor=None, dry_run=False, max_calls=3
            )
        allowed = await reprice_calls(
            session, _scope(org), current, actor=None, dry_run=True, max_calls=4
        )
    assert allowed.examined == 4
