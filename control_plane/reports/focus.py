"""FinOps FOCUS 1.0 export (pure): one row per UTC day, team, agent, model and provider.

FOCUS wants charge periods in UTC, so FOCUS lines are grouped by UTC day whatever the org's
time zone. The mapping, column by column:

- BilledCost = EffectiveCost = ListCost = ContractedCost: the call cost at list price (we
  meter list prices; negotiated discounts are not known to the proxy).
- ChargeCategory "Usage"; ChargeDescription names the model and the token counts.
- ServiceName is the model, ServiceCategory "AI and Machine Learning"; ProviderName,
  PublisherName and InvoiceIssuerName are the model provider (who bills you).
- ResourceId is the agent's id, ResourceName its name, ResourceType "AI Agent".
- SkuId is ``provider/model``; PricingQuantity/ConsumedQuantity are tokens (input + output),
  PricingUnit/ConsumedUnit "Tokens".
- Tags (JSON) carries org, team and agent, so cost tools can allocate by them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from control_plane.reports.lines import Line

FOCUS_COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ServiceName", "ServiceCategory", "ProviderName", "PublisherName", "InvoiceIssuerName",
    "BillingAccountId", "BillingAccountName", "SubAccountId", "SubAccountName",
    "ResourceId", "ResourceName", "ResourceType", "SkuId", "SkuPriceId",
    "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit", "Tags",
)  # fmt: skip

FOCUS_GROUP_BY = ("day", "org", "team", "agent", "model", "provider")
_PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "gemini": "Google",
    "google": "Google",
    "azure": "Microsoft",
    "bedrock": "Amazon Web Services",
}


def focus_rows(lines: Iterable[Line], org_id: str) -> list[dict[str, Any]]:
    """FOCUS rows from lines grouped by ``FOCUS_GROUP_BY`` with the day in UTC."""
    return [_row(line, org_id) for line in lines]


def _row(line: Line, org_id: str) -> dict[str, Any]:
    keys = line.keys
    day = date.fromisoformat(keys["day"])
    start = datetime.combine(day, time(0), tzinfo=UTC)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    provider = _PROVIDER_NAMES.get(keys["provider"], keys["provider"])
    cost = str(line.cost_usd)
    quantity = line.input_tokens + line.output_tokens
    tags = {"agentops/org": keys["org"], "agentops/agent": keys["agent"]}
    if keys["team"]:
        tags["agentops/team"] = keys["team"]
    values: dict[str, Any] = {
        "BilledCost": cost,
        "EffectiveCost": cost,
        "ListCost": cost,
        "ContractedCost": cost,
        "BillingCurrency": "USD",
        "ChargePeriodStart": _iso(start),
        "ChargePeriodEnd": _iso(start + timedelta(days=1)),
        "BillingPeriodStart": _iso(datetime.combine(month, time(0), tzinfo=UTC)),
        "BillingPeriodEnd": _iso(datetime.combine(next_month, time(0), tzinfo=UTC)),
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeDescription": (
            f"{keys['model']}: {line.calls} calls, {line.input_tokens} input and "
            f"{line.output_tokens} output tokens"
        ),
        "ChargeFrequency": "Usage-Based",
        "ServiceName": keys["model"] or "unknown model",
        "ServiceCategory": "AI and Machine Learning",
        "ProviderName": provider,
        "PublisherName": provider,
        "InvoiceIssuerName": provider,
        "BillingAccountId": org_id,
        "BillingAccountName": keys["org"],
        "SubAccountId": keys["team"] or None,
        "SubAccountName": keys["team"] or None,
        "ResourceId": str(line.agent_id) if line.agent_id else keys["agent"],
        "ResourceName": keys["agent"],
        "ResourceType": "AI Agent",
        "SkuId": f"{keys['provider']}/{keys['model']}",
        "SkuPriceId": None,
        "PricingQuantity": quantity,
        "PricingUnit": "Tokens",
        "ConsumedQuantity": quantity,
        "ConsumedUnit": "Tokens",
        "Tags": json.dumps(tags, sort_keys=True),
    }
    return values


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
