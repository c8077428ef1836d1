"""Reconciliation with provider bills: files shaped like each provider's documented export
(OpenAI Costs API page, Anthropic cost report, AWS CUR excerpt for Bedrock) against calls
ingested through the real API; drift per UTC day and model, traffic around the proxy, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agentops.settings import Settings
from control_plane.reconcile import BillFormatError, parse_bill
from tests.control_plane.conftest import api_key
from tests.harness.api_org import Org, call_record

BILLS = Path(__file__).parent / "bills"
DAY1 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def bill(name: str) -> str:
    return (BILLS / name).read_text()


async def seed(org: Org) -> None:
    await org.agent("bot")
    s = org.slug
    await org.ingest_calls(
        call_record(s, "bot", "0.70", DAY1, model="gpt-4o-mini-2024-07-18"),
        call_record(s, "bot", "0.30", DAY1, model="gpt-4o-mini-2024-07-18"),
        call_record(s, "bot", "2.50", DAY2, model="gpt-4o-2024-08-06"),
        call_record(s, "bot", "0.10", DAY2, model="gpt-4o-mini-2024-07-18"),
        call_record(s, "bot", None, DAY2, model="gpt-4o-2024-08-06"),  # unpriced
        call_record(s, "bot", "1.50", DAY1, model="claude-haiku-4-5-20251001", provider="anthropic"),
        call_record(s, "bot", "0.28", DAY1, model="anthropic.claude-3-5-haiku-20241022-v1:0",
                    provider="bedrock"),
    )  # fmt: skip


async def reconcile(org: Org, provider: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {"provider": provider, "content": bill(name), **extra}
    result: dict[str, Any] = await org.owner.ok("POST", "/costs/reconcile", json=body)
    return result


def by_line(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(line["day"], line["model"]): line for line in result["lines"]}


async def test_openai_costs_export_drift_and_traffic_around_the_proxy(org: Org) -> None:
    await seed(org)
    result = await reconcile(org, "openai", "openai_costs.json", notify=False)
    lines = by_line(result)
    ok = lines[("2026-11-03", "gpt-4o-mini-2024-07-18")]
    assert (ok["status"], ok["provider_usd"], ok["captured_usd"]) == (
        "ok",
        "1.0000000000",
        "1.0000000000",
    )
    drift = lines[("2026-11-04", "gpt-4o-2024-08-06")]
    assert (drift["status"], drift["drift_usd"], drift["drift_percent"]) == (
        "drift",
        "0.5000000000",
        "16.67",
    )
    assert drift["unpriced_calls"] == 1  # one captured call had no price: part of the drift
    around = lines[("2026-11-04", "o3-mini-2025-01-31")]
    assert (around["status"], around["captured_calls"]) == ("not_captured", 0)
    # gpt-4o does not swallow gpt-4o-mini: the most specific bill model owns a captured one
    extra = lines[("2026-11-04", "gpt-4o-mini-2024-07-18")]
    assert (extra["status"], extra["captured_usd"]) == ("not_billed", "0.1000000000")
    assert result["provider_usd"] == "4.5000000000"
    assert result["captured_usd"] == "3.6000000000"
    assert result["uncaptured_usd"] == "0.5000000000"
    assert (result["flagged"], result["alerted"]) == (3, 0)


async def test_anthropic_cost_report_is_in_cents(org: Org) -> None:
    await seed(org)
    result = await reconcile(org, "anthropic", "anthropic_cost_report.json")
    (line,) = result["lines"]
    assert line["provider_usd"] == "1.5150000000"  # 151.5 cents
    assert (line["status"], line["drift_percent"]) == ("ok", "0.99")
    assert (result["flagged"], result["alerted"]) == (0, 0)


async def test_bedrock_cur_rows_match_model_ids(org: Org) -> None:
    await seed(org)
    result = await reconcile(org, "bedrock", "bedrock_cur.csv", threshold_percent="0")
    (line,) = result["lines"]  # the EC2 row is not Bedrock
    assert line["model"] == "Claude3.5Haiku"
    assert line["captured_models"] == ["anthropic.claude-3-5-haiku-20241022-v1:0"]
    assert (line["status"], line["provider_usd"], line["captured_usd"]) == (
        "ok",
        "0.2800000000",
        "0.2800000000",
    )


@pytest.fixture
def cp_settings(cp_settings: Settings) -> Settings:
    """The alert channel's webhook is on loopback (no DNS needed), allowed explicitly: the SSRF
    guard refuses loopback, and a public name that does not resolve, by default."""
    cp_settings.control_plane.alert_allowed_internal_hosts = ["127.0.0.1"]
    return cp_settings


async def test_drift_alerts_the_channels_only_for_callers_who_may_alert(org: Org) -> None:
    await seed(org)
    channel = {"name": "fin", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}
    await org.owner.ok("POST", "/alerts/channels", 201, json=channel)
    reader = await api_key(org.owner, "read")
    body = {"provider": "openai", "content": bill("openai_costs.json")}
    assert (await reader.ok("POST", "/costs/reconcile", json=body))["alerted"] == 0
    assert (await org.owner.ok("POST", "/costs/reconcile", json=body))["alerted"] == 1
    deliveries = (await org.owner.ok("GET", "/alerts/deliveries"))["items"]
    assert [d["event_type"] for d in deliveries] == ["costs.reconcile_drift"]


@pytest.mark.parametrize(
    ("provider", "content", "message"),
    [
        ("openai", "not json", "invalid JSON"),
        ("openai", '{"object": "page"}', "'data' list"),
        ("anthropic", '{"data": [{"starting_at": "2026-11-03T00:00:00Z", "results": [{"currency": "EUR", "amount": "1"}]}]}', "EUR"),
        ("bedrock", "a,b\n1,2\n", "no column for start, product, usage_type, cost"),
        ("openai", '{"data": []}', "no lines"),
    ],
)  # fmt: skip
async def test_a_file_that_is_not_the_export_is_a_clear_422(
    org: Org, provider: str, content: str, message: str
) -> None:
    response = await org.owner.call(
        "POST", "/costs/reconcile", json={"provider": provider, "content": content}
    )
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "validation_error"
    assert message in error["message"]


def test_bill_amounts_are_exact_decimals_never_floats() -> None:
    text = '{"data": [{"start_time": 1793664000, "results": [{"amount": {"value": 0.1, "currency": "usd"}, "line_item": "m, input"}, {"amount": {"value": 0.2, "currency": "usd"}, "line_item": "m, output"}]}]}'
    assert sum(line.cost_usd for line in parse_bill("openai", text)) == Decimal("0.3")
    with pytest.raises(BillFormatError, match="unknown provider"):
        parse_bill("azure", text)
