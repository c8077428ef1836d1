"""FOCUS 1.2 export: checked against the specification's column requirements (a committed
transcription in ``focus/focus_1_2_columns.json``), one row per charge per SKU with quantity x
unit price = cost, totals equal to the SQL sum of the calls, refused calls left out and
unpriced calls marked, never priced at zero."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from control_plane.reports.charges import ChargedCall, build_charges
from control_plane.reports.focus import FOCUS_COLUMNS
from pricing import Usage, load_bundled_table, price_call
from tests.control_plane.api.test_reports import sql_sum
from tests.harness.api_org import Org, call_record

SPEC = json.loads((Path(__file__).parent / "focus" / "focus_1_2_columns.json").read_text())
T0 = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)
RANGE = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "format": "focus"}


def priced(org: str, agent: str, model: str, provider: str, usage: Usage, at: datetime,
           tier: str | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    cost = price_call(
        model, usage, provider=provider, service_tier=tier, table=load_bundled_table()
    )
    record = call_record(org, agent, cost.total_usd, at, model=model, provider=provider, **extra)
    record["tokens"] = {k: getattr(usage, k) for k in usage.__dataclass_fields__}
    record["service_tier"] = tier
    record["cost"] = {
        "total_usd": None if cost.total_usd is None else str(cost.total_usd),
        "breakdown": {k: str(v) for k, v in cost.breakdown.items()},
        "price_version": cost.price_version,
        "priced_model": cost.priced_model,
        "unpriced_reason": cost.unpriced_reason,
    }
    return record


async def seed(org: Org) -> dict[str, dict[str, Any]]:
    await org.team("research")
    await org.agent("alpha", team="research")
    await org.agent("beta")
    s = org.slug
    records = {
        "cached": priced(s, "alpha", "gpt-4o-mini", "openai",
                         Usage(input=1000, output=200, cached_read=600), T0, run_id="fwd-1"),
        "cached_again": priced(s, "alpha", "gpt-4o-mini", "openai",
                               Usage(input=3000, output=100, cached_read=1000),
                               T0 + timedelta(minutes=5), run_id="fwd-1"),
        "cache_writes": priced(s, "beta", "claude-haiku-4-5-20251001", "anthropic",
                               Usage(input=5000, output=300, cached_read=1000, cache_write_5m=2000,
                                     cache_write_1h=500), T0 + timedelta(hours=1)),
        "reasoning_batch": priced(s, "beta", "o3-mini", "openai",
                                  Usage(input=100, output=500, reasoning=300),
                                  T0 + timedelta(days=1), tier="batch"),
        "bedrock": priced(s, "alpha", "anthropic.claude-3-5-haiku-20241022-v1:0", "bedrock",
                          Usage(input=100, output=50), T0 + timedelta(days=2)),
        "unpriced": priced(s, "beta", "mystery-model-1", "openai",
                           Usage(input=700, output=70), T0 + timedelta(days=2)),
        "total_only": call_record(s, "beta", "0.0123456789", T0 + timedelta(days=3)),
        "refused": call_record(s, "beta", None, T0 + timedelta(days=3), output_tokens=0),
        "error_no_usage": call_record(s, "beta", None, T0 + timedelta(days=3), input_tokens=0,
                                      output_tokens=0),
    }  # fmt: skip
    records["refused"]["status"] = "refused"
    records["refused"]["http_status"] = 403
    records["error_no_usage"]["status"] = "error"
    records["error_no_usage"]["http_status"] = 500
    await org.ingest_calls(*records.values())
    return records


async def focus_rows(org: Org) -> tuple[list[dict[str, str]], Any]:
    response = await org.owner.call("GET", "/reports/costs", params=RANGE)
    assert response.status == 200, await response.text()
    return list(csv.DictReader(io.StringIO(await response.text()))), response.headers


def _null(value: str) -> bool:
    return value == ""


def _applies(condition: Any, row: dict[str, str]) -> bool:
    condition = SPEC[condition] if isinstance(condition, str) else condition
    return all(
        (None if _null(row.get(col, "")) else row[col]) in allowed
        for col, allowed in condition.items()
    )


def violations(row: dict[str, str], header: list[str]) -> list[str]:
    """Every FOCUS 1.2 requirement in the committed column definitions that ``row`` breaks."""
    found: list[str] = []
    formats = {k: re.compile(v) for k, v in SPEC["value_formats"].items()}
    for name, req in SPEC["columns"].items():
        if name not in header:
            if req["feature_level"] == "Mandatory":
                found.append(f"{name}: mandatory column missing")
            continue
        value = row[name]
        if _null(value):
            if not req["allows_nulls"]:
                found.append(f"{name}: null")
            elif "not_null_when" in req and _applies(req["not_null_when"], row):
                found.append(f"{name}: null on a {row['ChargeCategory']} row")
            continue
        kind = req["data_type"]
        if kind in ("Decimal", "DateTime") and not formats[kind].match(value):
            found.append(f"{name}: {value!r} is not a FOCUS {kind}")
        if kind == "JSON":
            obj = json.loads(value)
            if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
                found.append(f"{name}: not a key-value JSON object")
        fmt = req.get("value_format")
        if fmt in ("Currency", "Unit") and not formats[fmt].match(value):
            found.append(f"{name}: {value!r} breaks the {fmt} format")
        if "allowed_values" in req and value not in req["allowed_values"]:
            found.append(f"{name}: {value!r} is not an allowed value")
        if "allowed_values_by_parent" in req:
            allowed = req["allowed_values_by_parent"].get(row[req["parent"]], [])
            if value not in allowed:
                found.append(f"{name}: {value!r} is not under {row[req['parent']]!r}")
        if "product" in req:
            price, quantity = (row[c] for c in req["product"])
            if not _null(price) and Decimal(price) * Decimal(quantity) != Decimal(value):
                found.append(f"{name}: {value} != {price} x {quantity}")
    for column in header:
        if not (formats["ColumnId"].match(column) or formats["CustomColumnId"].match(column)):
            found.append(f"{column}: neither a FOCUS column id nor x_-prefixed")
        if not column.startswith("x_") and column not in SPEC["columns"]:
            found.append(f"{column}: not a FOCUS 1.2 column (custom columns need x_)")
    if not row["BillingPeriodStart"] <= row["ChargePeriodStart"] < row["ChargePeriodEnd"]:
        found.append("charge period outside its billing period")
    if not row["ChargePeriodEnd"] <= row["BillingPeriodEnd"]:
        found.append("charge period ends after its billing period")
    return found


async def test_every_priced_row_meets_the_focus_1_2_column_requirements(org: Org) -> None:
    await seed(org)
    rows, _ = await focus_rows(org)
    assert list(rows[0]) == list(FOCUS_COLUMNS)
    for row in rows:
        if row["x_PricingStatus"] == "Priced":
            assert violations(row, list(rows[0])) == [], row


async def test_unpriced_rows_are_marked_with_no_price_never_a_zero_one(org: Org) -> None:
    await seed(org)
    rows, headers = await focus_rows(org)
    unpriced = [r for r in rows if r["x_PricingStatus"] == "Unpriced"]
    assert {r["x_TokenClass"]: r["PricingQuantity"] for r in unpriced} == {
        "input": "700",
        "output": "70",
    }
    for row in unpriced:
        assert row["ListUnitPrice"] == row["ContractedUnitPrice"] == ""  # unknown, not 0
        assert row["x_UnpricedReason"] == "unpriced_model"
        assert "unpriced" in row["ChargeDescription"]
        # The only requirement an unpriced row breaks is the unit price it cannot know.
        assert sorted(violations(row, list(rows[0]))) == [
            "ContractedUnitPrice: null on a Usage row", "ListUnitPrice: null on a Usage row"]  # fmt: skip
    assert headers["X-AgentOps-Unpriced-Calls"] == "1"


async def test_one_row_per_sku_with_quantity_times_unit_price_equal_to_the_cost(
    org: Org, pg_url: str
) -> None:
    records = await seed(org)
    rows, _ = await focus_rows(org)
    assert sum(Decimal(r["BilledCost"]) for r in rows) == sql_sum(pg_url, org.owner.org_id)[0]
    for row in rows:
        assert row["SkuId"]
        assert row["SkuPriceId"]
        if row["x_PricingStatus"] == "Priced":
            cost = Decimal(row["ListUnitPrice"]) * Decimal(row["PricingQuantity"])
            assert cost == Decimal(row["BilledCost"]) == Decimal(row["EffectiveCost"])
            assert row["PricingQuantity"] == row["ConsumedQuantity"]
    by_sku = {(r["SkuId"], r["x_RunId"]): r for r in rows}
    # Two calls of one run at one price: one row per SKU, quantities added up.
    cached = by_sku[("openai/gpt-4o-mini/cached_read", "fwd-1")]
    assert (cached["PricingQuantity"], cached["x_CallCount"]) == ("1600", "2")
    assert by_sku[("openai/gpt-4o-mini/input", "fwd-1")]["PricingQuantity"] == str(400 + 2000)
    classes = {r["x_TokenClass"] for r in rows if r["x_Model"] == "claude-haiku-4-5-20251001"}
    assert classes == {"input", "cached_read", "cache_write_5m", "cache_write_1h", "output"}
    batch = [r for r in rows if r["x_Model"] == "o3-mini"]
    assert {r["x_TokenClass"] for r in batch} == {"input", "output", "reasoning"}
    assert {r["SkuPriceId"] for r in batch} == {
        f"openai/o3-mini/{c}/batch" for c in ("input", "output", "reasoning")
    }
    bedrock = next(r for r in rows if r["ProviderName"] == "Amazon Web Services")
    assert (bedrock["PublisherName"], bedrock["ServiceName"]) == ("Anthropic", "Amazon Bedrock")
    whole = next(r for r in rows if r["x_TokenClass"] == "call")  # an SDK sent only a total
    assert (whole["PricingUnit"], whole["ListUnitPrice"]) == ("Requests", "0.0123456789")
    tags = json.loads(cached["Tags"])
    assert tags == {"agentops/agent": "alpha", "agentops/team": "research", "agentops/run": "fwd-1"}
    assert cached["SubAccountName"] == cached["x_TeamName"] == "research"
    assert cached["ChargePeriodStart"] == "2026-11-03T00:00:00Z"  # UTC day
    assert cached["x_PriceVersion"] == records["cached"]["cost"]["price_version"]


async def test_refused_calls_and_calls_without_usage_are_not_charges(org: Org) -> None:
    await seed(org)
    rows, _ = await focus_rows(org)
    charged_calls = sum(
        int(r["x_CallCount"]) for r in rows if r["x_TokenClass"] in ("input", "call")
    )
    assert charged_calls == 7  # 9 calls - the refused one - the error without usage


@pytest.mark.parametrize(
    ("breakdown", "tokens", "total", "expected"),
    [
        # a per-request fee is a charge of 1 request at the fee
        ({"input": "0.0002", "request": "0.01"}, {"input": 100}, "0.0102",
         {("input", "0.000002", 100), ("request", "0.01", 1)}),
        # a breakdown that does not add up to the stored total: the call stays whole
        ({"input": "0.00000000001"}, {"input": 3}, "0.0000000000", {("call", "0.0000000000", 1)}),
        # a breakdown naming a class the tokens do not have: whole
        ({"output": "0.5"}, {"input": 10}, "0.5", {("call", "0.5", 1)}),
    ],
)  # fmt: skip
def test_charges_split_exactly_or_keep_the_call_whole(
    breakdown: dict[str, str], tokens: dict[str, int], total: str, expected: set[Any]
) -> None:
    call = ChargedCall(
        started_at=T0, team_id=None, agent_id=uuid.uuid4(), run_pk=uuid.uuid4(),
        provider="openai", model="m", service_tier="standard", status="ok",
        cost_usd=Decimal(total), price_version="v1", unpriced_reason=None,
        tokens=tokens, breakdown=breakdown,
    )  # fmt: skip
    charges = build_charges([call]).charges
    got = {(c.key.charge_class, str(c.key.unit_price), c.quantity) for c in charges}
    assert {(k, str(Decimal(p)), q) for k, p, q in expected} == got
    assert sum((c.cost for c in charges), Decimal(0)) == Decimal(total)
