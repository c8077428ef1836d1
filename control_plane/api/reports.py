"""/reports/costs: cost lines grouped as asked, as JSON (paged), CSV, or FOCUS 1.0 CSV."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane import reports
from control_plane.endpoint import ApiRequest
from control_plane.errors import ValidationFailedError
from control_plane.reports.focus import FOCUS_GROUP_BY
from control_plane.reports.render import line_values
from control_plane.schemas.reports import CostReport, CostReportQuery, Measures, ReportLine
from control_plane.store import budgets as budget_store
from control_plane.store import orgs, teams
from control_plane.store.reports import cost_facts
from control_plane.store.tables import utcnow

MAX_RANGE = timedelta(days=400)


async def cost_report(req: ApiRequest) -> CostReport | web.StreamResponse:
    query = req.query_as(CostReportQuery)
    fmt = query.format or ("csv" if "text/csv" in req.request.headers.get("Accept", "") else "json")
    group_by = list(FOCUS_GROUP_BY) if fmt == "focus" else query.group_by
    org_id = req.principal.org_id
    async with req.transaction() as session:
        org = await orgs.get_org(session, org_id)
        assert org is not None, "the caller's org exists"
        tz = "UTC" if fmt == "focus" else org.timezone
        start, end = _range(query, org.timezone)
        facts = await cost_facts(
            session, org_id, start, end, buckets=bool(reports.lines.CALENDAR & set(group_by))
        )
        names = await _names(session, org_id, org.slug, facts)
    lines = reports.build_lines(facts, group_by, names, tz)
    if fmt == "focus":
        rows = reports.focus_rows(lines, str(org_id))
        text = reports.csv_text(
            reports.FOCUS_COLUMNS, ([r[c] for c in reports.FOCUS_COLUMNS] for r in rows)
        )
        return _csv(text, f"agentops-focus-{org.slug}.csv")
    if fmt == "csv":
        text = reports.csv_text(
            reports.report_columns(group_by), (line_values(line, group_by) for line in lines)
        )
        return _csv(text, f"agentops-costs-{org.slug}.csv")
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
        totals=Measures(**_measures(reports.totals(lines))),
    )


def _measures(line: reports.Line) -> dict[str, object]:
    return {
        "calls": line.calls,
        "unpriced_calls": line.unpriced_calls,
        "input_tokens": line.input_tokens,
        "output_tokens": line.output_tokens,
        "cost_usd": line.cost_usd,
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
        agents=await budget_store.get_agent_names(session, org_id, agent_ids),
    )


def _csv(text: str, filename: str) -> web.Response:
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
