"""FinOps FOCUS 1.2 export (pure): one row per charge per SKU.

A row is the charges of one billed SKU (a model's token class, or its per-request fee) at one
unit price, for one agent's run on one UTC day (FOCUS charge periods are UTC). Column by column:

- BilledCost = EffectiveCost = ListCost = ContractedCost = PricingQuantity x ListUnitPrice
  (ListUnitPrice = ContractedUnitPrice: the price the call was metered at; an org's price
  override is its contracted price and is metered as such).
- ChargeCategory "Usage", ChargeClass null, ChargeFrequency "Usage-Based", PricingCategory
  "Standard". Refused calls (our gate answered) and calls still in progress are not charges.
- ServiceName is the provider's API (``OpenAI API``), ServiceCategory "AI and Machine
  Learning", ServiceSubcategory "Generative AI"; ProviderName and InvoiceIssuerName are who
  bills you, PublisherName who made the model (Anthropic for a Claude model on Bedrock).
- SkuId ``provider/model/class`` (never null), SkuMeter names the class, SkuPriceId the SKU at
  its service tier (``…/standard``, ``…/batch``): stable over time, as FOCUS asks; the unit
  price and the price version are in their own columns. PricingUnit = ConsumedUnit: "Tokens"
  or "Requests".
- ResourceId/ResourceName the agent, ResourceType "AI Agent"; SubAccount the team.
- Tags: the FOCUS JSON object ``{"agentops/agent": …, "agentops/team": …, "agentops/run": …}``.
- ``x_`` columns carry ours: x_PricingStatus (Priced / Unpriced), x_UnpricedReason,
  x_TokenClass, x_CallCount, x_RunId, x_AgentName, x_TeamName, x_Model, x_PriceVersion.

An unpriced charge keeps its token quantity with BilledCost 0, ListUnitPrice and
ContractedUnitPrice empty and x_PricingStatus "Unpriced": it is marked, never a zero price.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from agentops.money import money_text
from control_plane.reports.charges import REQUEST, WHOLE_CALL, Charge

FOCUS_VERSION = "1.2"
FOCUS_COLUMNS = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory",
    "SkuId", "SkuMeter", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
    "x_PricingStatus", "x_UnpricedReason", "x_TokenClass", "x_CallCount", "x_RunId",
    "x_AgentName", "x_TeamName", "x_Model", "x_PriceVersion",
)  # fmt: skip

# Who bills you, and the name of their API as a service.
_PROVIDERS = {
    "openai": ("OpenAI", "OpenAI API"),
    "anthropic": ("Anthropic", "Anthropic API"),
    "gemini": ("Google", "Gemini API"),
    "google": ("Google", "Vertex AI"),
    "vertex": ("Google", "Vertex AI"),
    "azure": ("Microsoft", "Azure OpenAI"),
    "bedrock": ("Amazon Web Services", "Amazon Bedrock"),
}
# Bedrock model ids start with their publisher.
_PUBLISHERS = {
    "anthropic": "Anthropic", "meta": "Meta", "amazon": "Amazon Web Services",
    "mistral": "Mistral AI", "cohere": "Cohere", "ai21": "AI21 Labs", "deepseek": "DeepSeek",
    "openai": "OpenAI", "writer": "Writer", "qwen": "Alibaba",
}  # fmt: skip
_METERS = {
    "input": "Input Tokens",
    "cached_read": "Cached Input Tokens",
    "cache_write_5m": "Cache Write Tokens (5 minutes)",
    "cache_write_1h": "Cache Write Tokens (1 hour)",
    "audio_input": "Audio Input Tokens",
    "output": "Output Tokens",
    "reasoning": "Reasoning Tokens",
    "audio_output": "Audio Output Tokens",
    REQUEST: "Requests",
    WHOLE_CALL: "Calls",
}


@dataclass(frozen=True)
class FocusNames:
    org_id: str
    org: str
    teams: dict[uuid.UUID, str] = field(default_factory=dict)
    agents: dict[uuid.UUID, str] = field(default_factory=dict)
    runs: dict[uuid.UUID, str] = field(default_factory=dict)


def focus_rows(charges: Iterable[Charge], names: FocusNames) -> list[dict[str, Any]]:
    return [_row(charge, names) for charge in charges]


def _row(charge: Charge, names: FocusNames) -> dict[str, Any]:
    k = charge.key
    start = datetime.combine(k.day, time(0), tzinfo=UTC)
    month = k.day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    provider, service = _PROVIDERS.get(k.provider, (k.provider, k.provider))
    agent = names.agents.get(k.agent_id, str(k.agent_id))
    team = names.teams.get(k.team_id) if k.team_id else None
    run = names.runs.get(k.run_pk, str(k.run_pk))
    meter = _METERS.get(k.charge_class, k.charge_class)
    unit = "Tokens" if k.charge_class not in (REQUEST, WHOLE_CALL) else "Requests"
    sku = f"{k.provider}/{k.model or 'unknown'}/{k.charge_class}"
    priced = k.unit_price is not None
    price = money_text(k.unit_price) if k.unit_price is not None else None
    cost = money_text(charge.cost)
    tags = {"agentops/agent": agent, "agentops/run": run}
    if team is not None:
        tags["agentops/team"] = team
    return {
        "BilledCost": cost,
        "BillingAccountId": names.org_id,
        "BillingAccountName": names.org,
        "BillingCurrency": "USD",
        "BillingPeriodEnd": _iso(datetime.combine(next_month, time(0), tzinfo=UTC)),
        "BillingPeriodStart": _iso(datetime.combine(month, time(0), tzinfo=UTC)),
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeDescription": (
            f"{k.model or 'unknown model'} {meter}: {charge.quantity} {unit.lower()} "
            + (f"at {price} USD each" if priced else "at no known price (unpriced)")
            + f", {charge.calls} calls"
        ),
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": _iso(start + timedelta(days=1)),
        "ChargePeriodStart": _iso(start),
        "ConsumedQuantity": charge.quantity,
        "ConsumedUnit": unit,
        "ContractedCost": cost,
        "ContractedUnitPrice": price,
        "EffectiveCost": cost,
        "InvoiceIssuerName": provider,
        "ListCost": cost,
        "ListUnitPrice": price,
        "PricingCategory": "Standard",
        "PricingQuantity": charge.quantity,
        "PricingUnit": unit,
        "ProviderName": provider,
        "PublisherName": _publisher(k.provider, k.model, provider),
        "ResourceId": str(k.agent_id),
        "ResourceName": agent,
        "ResourceType": "AI Agent",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": service,
        "ServiceSubcategory": "Generative AI",
        "SkuId": sku,
        "SkuMeter": meter,
        "SkuPriceId": f"{sku}/{k.service_tier}",
        "SubAccountId": str(k.team_id) if k.team_id else None,
        "SubAccountName": team,
        "Tags": json.dumps(tags, sort_keys=True, separators=(",", ":")),
        "x_PricingStatus": "Priced" if priced else "Unpriced",
        "x_UnpricedReason": k.unpriced_reason,
        "x_TokenClass": k.charge_class,
        "x_CallCount": charge.calls,
        "x_RunId": run,
        "x_AgentName": agent,
        "x_TeamName": team,
        "x_Model": k.model,
        "x_PriceVersion": k.price_version,
    }


def _publisher(provider_key: str, model: str, provider: str) -> str:
    if provider_key != "bedrock":
        return provider
    vendor = model.rsplit(":", 1)[0].split(".")
    # "anthropic.claude-…" or a cross-region profile "us.anthropic.claude-…"
    for part in vendor[:2]:
        if part in _PUBLISHERS:
            return _PUBLISHERS[part]
    return provider


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
