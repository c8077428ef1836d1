"""Fold cost facts into report lines grouped by the requested dimensions (pure, exact).

Calendar dimensions are periods in the org's time zone: ``day`` is the local date,
``week`` the ISO week (``2026-W48``), ``month`` ``2026-11``. Totals are exact sums of the
lines, which are exact sums of the facts, which are SQL sums of the calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from control_plane.reports.facts import CostFact

DIMENSIONS = ("org", "team", "agent", "model", "provider", "day", "week", "month")
CALENDAR = frozenset({"day", "week", "month"})


@dataclass(frozen=True)
class Names:
    org: str
    teams: dict[uuid.UUID, str] = field(default_factory=dict)
    agents: dict[uuid.UUID, str] = field(default_factory=dict)


@dataclass
class Line:
    keys: dict[str, str]
    calls: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced_input_tokens: int = 0
    unpriced_output_tokens: int = 0
    # For FOCUS: the ids behind the names, when the grouping keeps them apart.
    agent_id: uuid.UUID | None = None

    def add(self, fact: CostFact | Line) -> None:
        """Add the figures of a fact (or of another line, for totals)."""
        self.calls += fact.calls
        self.unpriced_calls += fact.unpriced_calls
        self.input_tokens += fact.input_tokens
        self.output_tokens += fact.output_tokens
        self.cost_usd += fact.cost_usd
        self.unpriced_input_tokens += fact.unpriced_input_tokens
        self.unpriced_output_tokens += fact.unpriced_output_tokens

    @property
    def pricing_status(self) -> str:
        """``priced``, ``partial`` (the cost leaves some calls out) or ``unpriced``."""
        if not self.unpriced_calls:
            return "priced"
        return "unpriced" if self.unpriced_calls == self.calls else "partial"


def build_lines(
    facts: Iterable[CostFact], group_by: Sequence[str], names: Names, tz: str
) -> list[Line]:
    """One line per distinct combination of ``group_by`` values, sorted by those values."""
    zone = ZoneInfo(tz)
    lines: dict[tuple[str, ...], Line] = {}
    for fact in facts:
        keys = {dim: _value(dim, fact, names, zone) for dim in group_by}
        line = lines.setdefault(tuple(keys.values()), Line(keys))
        line.agent_id = fact.agent_id if "agent" in group_by else None
        line.add(fact)
    return [lines[key] for key in sorted(lines)]


def totals(lines: Iterable[Line]) -> Line:
    total = Line({})
    for line in lines:
        total.add(line)
    return total


def unpriced_warning(total: Line) -> str | None:
    """The summary line of a report whose cost leaves calls out, else None."""
    if not total.unpriced_calls:
        return None
    return (
        f"{total.unpriced_calls} calls unpriced ({total.unpriced_input_tokens} input and "
        f"{total.unpriced_output_tokens} output tokens): their cost is not in these totals; "
        "`agentops pricing unpriced` lists the models"
    )


def _value(dim: str, fact: CostFact, names: Names, zone: ZoneInfo) -> str:
    if dim == "org":
        return names.org
    if dim == "team":
        if fact.team_id is None:
            return ""
        return names.teams.get(fact.team_id, str(fact.team_id))
    if dim == "agent":
        return names.agents.get(fact.agent_id, str(fact.agent_id))
    if dim == "model":
        return fact.model
    if dim == "provider":
        return fact.provider
    assert fact.bucket is not None, "calendar grouping needs bucketed facts"
    return calendar_label(dim, fact.bucket, zone)


def calendar_label(dim: str, instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone).date()
    if dim == "day":
        return local.isoformat()
    if dim == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local:%Y-%m}"
