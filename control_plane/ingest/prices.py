"""Org prices at ingestion: a record whose model an org override covers is priced again from
its tokens, so the stored cost is the negotiated one and names the org's price version.

Records of models no override covers keep the cost the proxy computed; so does a record the
override cannot price (no usage), rather than losing a known cost.
"""

from __future__ import annotations

from agentops.wire.record import CallRecord
from control_plane.ingest.validate import Parsed
from control_plane.services.prices import OrgPrices, cost_info
from pricing import Usage


def usage_of(record: CallRecord) -> Usage:
    return record.tokens.usage()


def apply_org_prices(parsed: list[Parsed], prices: OrgPrices) -> list[Parsed]:
    if prices.empty:
        return parsed
    return [_repriced(p, prices) for p in parsed]


def _repriced(p: Parsed, prices: OrgPrices) -> Parsed:
    r = p.record
    model = r.model_served or r.model_requested
    if not prices.covers(r.started_at, model, r.provider):
        return p
    cost = prices.price(r.started_at, model, r.provider, usage_of(r), r.service_tier)
    if cost.total_usd is None:
        return p
    info = cost_info(cost)
    record = r.model_copy(update={"cost": info})
    return Parsed(p.index, record, {**p.raw, "cost": info.model_dump(mode="json")})
