"""/reports/costs: cost lines grouped as asked, as JSON (paged), CSV, or FOCUS 1.2 CSV.

Every form carries the unpriced calls: JSON in ``unpriced_*`` and ``warning``, CSV in its
columns, FOCUS in ``x_PricingStatus``; both CSVs also in ``X-AgentOps-Unpriced-Calls``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from control_plane import reports
from control_plane.endpoint import ApiRequest
from control_plane.errors import ValidationFailedError
from control_plane.reports.charges import build_charges
from control_plane.reports.focus import FocusNames
from control_plane.reports.lines import unpriced_warning
from control_plane.reports.render import line_values
from control_plane.schemas.reports import CostReport, CostReportQuery, Measures, ReportLine
from control_plane.store import agents, orgs, teams
from control_plane.store.call_queries import get_run_keys
from control_plane.store.charges import iter_charged_calls
from control_plane.store.reports import cost_facts
from control_plane.store.tables import utcnow
from control_plane.store.types import AsyncSession

MAX_RANGE = timedelta(days=400)


async def cost_report(req: ApiRequest) -> CostReport | web.StreamResponse:
    query = req.query_as(CostReportQuery)
    fmt = query.format or ("csv" if "text/csv" in req.request.headers.get("Accept", "") else "json")
    if fmt == "focus":
        return await focus_report(req, query)
    group_by = query.group_by
    org_id = req.principal.org_id
    async with req.transaction() as session:
        org = await orgs.get_org(session, org_id)
        assert org is not None, "the caller's org exists"
        tz = org.timezone
        start, end = _range(query, org.timezone)
        facts = await cost_facts(
            session, org_id, start, end, buckets=bool(reports.lines.CALENDAR & set(group_by))
        )
        names = await _names(session, org_id, org.slug, facts)
    lines = reports.build_lines(facts, group_by, names, tz)
    total = reports.totals(lines)
    if fmt == "csv":
        text = reports.csv_text(
            reports.report_columns(group_by), (line_values(line, group_by) for line in lines)
        )
        return _csv(text, f"agentops-costs-{org.slug}.csv", total.unpriced_calls)
    page = lines[query.offset : query.offset + query.limit]
    following = query.offset + query.limit
    return CostReport(
        org=org.slug,
        timezone=tz,
        start=start,
        end=end,
        group_by=group_by,
        lines=[ReportLine(keys=line.keys, **_measures(line)) for line in page],
        line_count=len(lines),
        next_offset=following if following < len(lines) else None,
        totals=Measures(**_measures(total)),
        warning=unpriced_warning(total),
    )


def _measures(line: reports.Line) -> dict[str, object]:
    return {
        "calls": line.calls,
        "unpriced_calls": line.unpriced_calls,
        "input_tokens": line.input_tokens,
        "output_tokens": line.output_tokens,
        "cost_usd": line.cost_usd,
        "unpriced_input_tokens": line.unpriced_input_tokens,
        "unpriced_output_tokens": line.unpriced_output_tokens,
        "pricing_status": line.pricing_status,
    }


def _range(query: CostReportQuery, tz: str) -> tuple[datetime, datetime]:
    end = _instant(query.to, tz) if query.to is not None else utcnow()
    start = _instant(query.from_, tz) if query.from_ is not None else end - timedelta(days=30)
    if end <= start or end - start > MAX_RANGE:
        raise ValidationFailedError(
            f"query: from must be before to, at most {MAX_RANGE.days} days apart",
            details=[{"field": "from", "location": "query", "message": "bad time range"}],
        )
    return start, end


def _instant(value: datetime | date, tz: str) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=ZoneInfo(tz))


async def _names(
    session: AsyncSession, org_id: uuid.UUID, slug: str, facts: list[reports.facts.CostFact]
) -> reports.Names:
    team_ids = {f.team_id for f in facts if f.team_id is not None}
    agent_ids = {f.agent_id for f in facts}
    return reports.Names(
        org=slug,
        teams=await teams.get_team_names(session, org_id, team_ids),
        agents=await agents.get_agent_names(session, org_id, agent_ids),
    )


async def focus_report(req: ApiRequest, query: CostReportQuery) -> web.Response:
    """FOCUS 1.2: one row per charge per SKU, UTC days (see ``control_plane.reports.focus``)."""
    org_id = req.principal.org_id
    async with req.transaction() as session:
        org = await orgs.get_org(session, org_id)
        assert org is not None, "the caller's org exists"
        start, end = _range(query, "UTC")
        charge_set = build_charges(
            [c async for c in iter_charged_calls(session, org_id, start, end)]
        )
        keys = [c.key for c in charge_set.charges]
        names = FocusNames(
            org_id=str(org_id),
            org=org.slug,
            teams=await teams.get_team_names(
                session, org_id, {k.team_id for k in keys if k.team_id}
            ),
            agents=await agents.get_agent_names(session, org_id, {k.agent_id for k in keys}),
            runs=await get_run_keys(session, org_id, {k.run_pk for k in keys}),
        )
    rows = reports.focus_rows(charge_set.charges, names)
    text = reports.csv_text(
        reports.FOCUS_COLUMNS, ([r[c] for c in reports.FOCUS_COLUMNS] for r in rows)
    )
    return _csv(text, f"agentops-focus-{org.slug}.csv", charge_set.unpriced_calls)


def _csv(text: str, filename: str, unpriced_calls: int) -> web.Response:
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-AgentOps-Unpriced-Calls": str(unpriced_calls),
        },
    )
