"""Cost reports: grouped lines whose totals equal an independent SQL SUM over calls, CSV with
the same figures, and a FOCUS export (its requirements: test_focus.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from tests.harness.api_org import Org, call_record

T0 = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 00:30 on 3 November in Paris


async def seed(org: Org) -> None:
    await org.team("research")
    await org.agent("alpha", team="research")
    await org.agent("beta")
    costs = ["0.0000001", "1.1", "2.2", "0.3333333333", "7", "0.01"]
    records = []
    for i, cost in enumerate(costs):
        agent = "alpha" if i % 2 else "beta"
        model = "gpt-4o" if i % 3 else "claude-3-5-sonnet"
        provider = "openai" if model == "gpt-4o" else "anthropic"
        records.append(
            call_record(
                org.slug, agent, cost, T0 + timedelta(hours=10 * i), model=model, provider=provider
            )
        )
    records.append(call_record(org.slug, "beta", None, T0))  # unpriced
    await org.ingest_calls(*records)


def sql_sum(pg_url: str, org_id: str) -> tuple[Decimal, int]:
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(cost_usd), 0), COUNT(*) FROM calls WHERE org_id = %s",
            (org_id,),
        ).fetchone()
    assert row is not None
    return Decimal(row[0]), int(row[1])


RANGE = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}


async def test_totals_equal_the_sum_of_the_calls(org: Org, pg_url: str) -> None:
    await seed(org)
    expected_cost, expected_calls = sql_sum(pg_url, org.owner.org_id)
    for by in ["model", "team,model", "agent,provider,day", "org", "week", "month,team"]:
        report = await org.owner.ok("GET", "/reports/costs", params={**RANGE, "by": by})
        assert Decimal(report["totals"]["cost_usd"]) == expected_cost, by
        assert report["totals"]["calls"] == expected_calls
        assert sum(Decimal(line["cost_usd"]) for line in report["lines"]) == expected_cost
        assert report["totals"]["unpriced_calls"] == 1
        assert report["totals"]["unpriced_input_tokens"] == 100
        assert report["warning"].startswith("1 calls unpriced (100 input and 20 output tokens)")


async def test_grouping_by_team_and_local_day(org: Org) -> None:
    await seed(org)
    await org.owner.ok("PATCH", "/orgs/profile", json={"timezone": "Europe/Paris"})
    report = await org.owner.ok("GET", "/reports/costs", params={**RANGE, "by": "team,day"})
    lines = {(line["keys"]["team"], line["keys"]["day"]): line for line in report["lines"]}
    # The first call (23:30 UTC on the 2nd) is on the 3rd in Paris.
    assert ("", "2026-11-03") in lines
    assert ("", "2026-11-02") not in lines
    assert Decimal(lines[("research", "2026-11-03")]["cost_usd"]) == Decimal("1.1")
    assert report["timezone"] == "Europe/Paris"


async def test_json_pages_cover_every_line_once(org: Org) -> None:
    await seed(org)
    params: dict[str, Any] = {**RANGE, "by": "agent,day", "limit": 2}
    first = await org.owner.ok("GET", "/reports/costs", params=params)
    seen = list(first["lines"])
    offset = first["next_offset"]
    while offset is not None:
        page = await org.owner.ok("GET", "/reports/costs", params={**params, "offset": offset})
        seen += page["lines"]
        offset = page["next_offset"]
    assert len(seen) == first["line_count"]
    assert sum(Decimal(line["cost_usd"]) for line in seen) == Decimal(first["totals"]["cost_usd"])


async def test_csv_by_query_or_accept_header(org: Org, pg_url: str) -> None:
    await seed(org)
    response = await org.owner.call(
        "GET", "/reports/costs", params={**RANGE, "by": "team,model", "format": "csv"}
    )
    assert response.status == 200
    assert response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert list(rows[0]) == [
        "team",
        "model",
        "calls",
        "unpriced_calls",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "unpriced_input_tokens",
        "unpriced_output_tokens",
        "pricing_status",
    ]
    assert {row["pricing_status"] for row in rows} == {"priced", "unpriced"}
    assert response.headers["X-AgentOps-Unpriced-Calls"] == "1"
    assert sum(Decimal(row["cost_usd"]) for row in rows) == sql_sum(pg_url, org.owner.org_id)[0]
    by_header = await org.owner.call(
        "GET",
        "/reports/costs",
        params={**RANGE, "by": "team,model"},
        headers={**org.owner.headers, "Accept": "text/csv"},
    )
    assert await by_header.text() == await response.text()


async def test_focus_export_has_the_focus_columns_and_exact_costs(org: Org, pg_url: str) -> None:
    await seed(org)
    response = await org.owner.call("GET", "/reports/costs", params={**RANGE, "format": "focus"})
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
                   "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd",
                   "ChargeCategory", "ServiceName", "ServiceCategory", "ProviderName", "PublisherName",
                   "InvoiceIssuerName", "ResourceId", "ResourceName", "ResourceType", "SkuId",
                   "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit", "Tags"):  # fmt: skip
        assert column in rows[0]
    assert sum(Decimal(row["BilledCost"]) for row in rows) == sql_sum(pg_url, org.owner.org_id)[0]
    first = min(rows, key=lambda r: r["ChargePeriodStart"])
    assert first["ChargePeriodStart"] == "2026-11-02T00:00:00Z"  # FOCUS periods are UTC days
    assert first["ChargePeriodEnd"] == "2026-11-03T00:00:00Z"
    assert first["BillingPeriodStart"] == "2026-11-01T00:00:00Z"
    assert first["BillingCurrency"] == "USD"
    assert first["ChargeCategory"] == "Usage"
    tags = json.loads(first["Tags"])
    assert first["BillingAccountName"] == org.slug
    assert tags["agentops/agent"] in ("alpha", "beta")


async def test_bad_grouping_and_range_are_422(org: Org) -> None:
    assert (await org.owner.call("GET", "/reports/costs", params={"by": "colour"})).status == 422
    params = {"from": "2026-11-02", "to": "2026-11-01"}
    assert (await org.owner.call("GET", "/reports/costs", params=params)).status == 422
