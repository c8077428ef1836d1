"""/costs/reconcile: compare a provider's own usage/cost export with the captured calls.

The captured side is the calls table summed per UTC day and model (the same facts as cost
reports), limited to the provider and the days the bill covers. Lines beyond the threshold
queue a ``costs.reconcile_drift`` alert on the org's channels when the caller may alert.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from control_plane import reconcile as rc
from control_plane.auth.permissions import Permission, is_allowed
from control_plane.endpoint import ApiRequest
from control_plane.errors import ValidationFailedError
from control_plane.schemas.reconcile import ReconcileRequest, ReconcileResult, ReconLineOut
from control_plane.services import alerts
from control_plane.store.reports import cost_facts

MAX_DAYS = 400


async def reconcile_costs(req: ApiRequest) -> ReconcileResult:
    body = req.body_as(ReconcileRequest)
    try:
        bill = rc.parse_bill(body.provider, body.content)
    except rc.BillFormatError as exc:
        raise ValidationFailedError(f"body: content: {exc}") from None
    if not bill:
        raise ValidationFailedError(f"body: content: the {body.provider} export has no lines")
    first, last = min(b.day for b in bill), max(b.day for b in bill)
    if (last - first).days > MAX_DAYS:
        raise ValidationFailedError(f"body: content: the bill spans more than {MAX_DAYS} days")
    org_id = req.principal.org_id
    async with req.transaction() as session:
        facts = await cost_facts(session, org_id, _midnight(first), _midnight(last + timedelta(1)),
                                 buckets=True)  # fmt: skip
        captured = _captured(f for f in facts if f.provider == body.provider)
        result = rc.reconcile(bill, captured, body.threshold_percent)
        flagged = [line for line in result.lines if line.status != "ok"]
        alerted = 0
        if flagged and body.notify and is_allowed(req.principal, Permission.ALERTS_WRITE):
            payload = _alert(body.provider, first, last, result, flagged)
            alerted = len(await alerts.enqueue(session, org_id, "costs.reconcile_drift", payload))
    return ReconcileResult(
        provider=body.provider, start=first, end=last, threshold_percent=body.threshold_percent,
        provider_usd=result.provider_usd, captured_usd=result.captured_usd,
        drift_usd=result.drift_usd, uncaptured_usd=result.uncaptured_usd, flagged=len(flagged),
        alerted=alerted, lines=[_line_out(line) for line in result.lines],
    )  # fmt: skip


def _captured(facts: Any) -> list[rc.Captured]:
    sums: dict[tuple[date, str], list[Any]] = {}
    for f in facts:
        assert f.bucket is not None
        acc = sums.setdefault((f.bucket.astimezone(UTC).date(), f.model), [0, 0, Decimal(0)])
        acc[0] += f.calls
        acc[1] += f.unpriced_calls
        acc[2] += f.cost_usd
    return [rc.Captured(day, model, calls, unpriced, cost)
            for (day, model), (calls, unpriced, cost) in sums.items()]  # fmt: skip


def _line_out(line: rc.ReconLine) -> ReconLineOut:
    return ReconLineOut(
        day=line.day, model=line.model, status=line.status,
        provider_usd=line.provider_usd, captured_usd=line.captured_usd,
        drift_usd=line.drift_usd, drift_percent=line.drift_percent,
        captured_calls=line.captured_calls, unpriced_calls=line.unpriced_calls,
        captured_models=sorted(line.captured_models),
    )  # fmt: skip


def _alert(
    provider: str, first: date, last: date, result: rc.Reconciliation, flagged: list[rc.ReconLine]
) -> dict[str, Any]:
    worst = max(flagged, key=lambda line: abs(line.drift_usd))
    return {
        "message": (
            f"{provider} bill {first}..{last}: {len(flagged)} day/model lines drift beyond "
            f"{result.threshold_percent}% (billed ${result.provider_usd}, captured "
            f"${result.captured_usd}; worst {worst.day} {worst.model}: ${worst.drift_usd})"
        ),
        "provider": provider,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "provider_usd": str(result.provider_usd),
        "captured_usd": str(result.captured_usd),
        "uncaptured_usd": str(result.uncaptured_usd),
        "flagged_lines": len(flagged),
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
