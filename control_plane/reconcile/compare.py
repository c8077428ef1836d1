"""Compare a provider's bill with what the proxies captured, per UTC day and model.

Model names differ between a bill and the traffic (``Claude3.5Haiku`` on an AWS bill,
``anthropic.claude-3-5-haiku-20241022-v1:0`` in the calls): both are reduced to lower-case
letters and digits, and a bill model covers every captured model equal to it, or containing
it. A line is:

- ``ok``: the drift is within the threshold;
- ``drift``: beyond it (provider above captured: calls went around the proxy, or were priced
  low; below: priced high, or the bill lags);
- ``not_captured``: billed, but no call through the proxy: traffic that went around it;
- ``not_billed``: captured, but absent from the bill.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from control_plane.reconcile.bills import BillLine

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Captured:
    """What the proxies recorded for one UTC day and model (served, else requested)."""

    day: date
    model: str
    calls: int
    unpriced_calls: int
    cost_usd: Decimal


@dataclass
class ReconLine:
    day: date
    model: str  # the bill's name for it (or the captured name when the bill lacks it)
    provider_usd: Decimal = Decimal(0)
    captured_usd: Decimal = Decimal(0)
    captured_calls: int = 0
    unpriced_calls: int = 0
    captured_models: set[str] = field(default_factory=set)
    status: str = "ok"

    @property
    def drift_usd(self) -> Decimal:
        return self.provider_usd - self.captured_usd

    @property
    def drift_percent(self) -> Decimal | None:
        if not self.provider_usd:
            return None
        return (self.drift_usd / self.provider_usd * HUNDRED).quantize(Decimal("0.01"))


@dataclass
class Reconciliation:
    lines: list[ReconLine]
    threshold_percent: Decimal
    provider_usd: Decimal
    captured_usd: Decimal
    uncaptured_usd: Decimal  # billed on lines with no call through the proxy

    @property
    def drift_usd(self) -> Decimal:
        return self.provider_usd - self.captured_usd

    @property
    def alert(self) -> bool:
        return any(line.status != "ok" for line in self.lines)


def reconcile(
    bill: Iterable[BillLine], captured: Iterable[Captured], threshold_percent: Decimal
) -> Reconciliation:
    bill = list(bill)
    days = {b.day for b in bill}
    seen = [c for c in captured if c.day in days]  # the bill's days only
    bill_models = {b.model for b in bill}
    covers = {m: {c.model for c in seen if _covers(m, c.model)} for m in bill_models}
    lines: dict[tuple[date, str], ReconLine] = {}
    for b in bill:
        lines.setdefault((b.day, b.model), ReconLine(b.day, b.model)).provider_usd += b.cost_usd
    for c in seen:
        owner = _owner(c.model, [m for m in bill_models if c.model in covers[m]])
        line = lines.setdefault((c.day, owner), ReconLine(c.day, owner))
        line.captured_usd += c.cost_usd
        line.captured_calls += c.calls
        line.unpriced_calls += c.unpriced_calls
        line.captured_models.add(c.model)
    for line in lines.values():
        line.status = _status(line, threshold_percent)
    ordered = [lines[key] for key in sorted(lines)]
    return Reconciliation(
        lines=ordered,
        threshold_percent=threshold_percent,
        provider_usd=sum((b.cost_usd for b in bill), Decimal(0)),
        captured_usd=sum((line.captured_usd for line in ordered), Decimal(0)),
        uncaptured_usd=sum(
            (line.provider_usd for line in ordered if line.status == "not_captured"), Decimal(0)
        ),
    )


def _status(line: ReconLine, threshold: Decimal) -> str:
    if line.provider_usd and not line.captured_calls:
        return "not_captured"
    if not line.provider_usd:
        return "not_billed" if line.captured_usd else "ok"
    percent = line.drift_percent
    return "drift" if percent is not None and abs(percent) > threshold else "ok"


def _owner(model: str, candidates: list[str]) -> str:
    """The bill model a captured model belongs to: the same name, else the most specific
    (``gpt-4o-mini`` before ``gpt-4o``); the captured name itself when none covers it."""
    if not candidates:
        return model
    return max(candidates, key=lambda m: (_key(m) == _key(model), len(_key(m)), m))


def _key(model: str) -> str:
    return re.sub(r"[^a-z0-9]", "", model.lower())


def _covers(bill_model: str, captured_model: str) -> bool:
    bill, seen = _key(bill_model), _key(captured_model)
    return bool(bill) and (bill == seen or bill in seen)
