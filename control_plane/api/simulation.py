"""POST /policies/simulate: replay the org's stored calls through draft policies (read-only:
nothing is stored, published or enforced)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from control_plane.endpoint import ApiRequest
from control_plane.schemas.common import from_row
from control_plane.schemas.policies import SimulateRequest, SimulationOut, SimulationRow
from control_plane.services.simulate import ACTIONS, Tally, simulate
from control_plane.store.tables import utcnow


async def simulate_policies(req: ApiRequest) -> SimulationOut:
    body = req.body_as(SimulateRequest)
    until = utcnow()
    since = until - timedelta(days=body.since_days)
    async with req.transaction() as session:
        result = await simulate(session, req.principal.org_id, body.policies, since, until)
    rows = [
        _row(agent, team, tally)
        for (agent, team), tally in sorted(
            result.by_agent.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        )
    ]
    totals = _row(None, None, _sum(result.by_agent.values()))
    return from_row(SimulationOut, result, since=since, until=until, totals=totals, rows=rows)


def _row(agent: str | None, team: str | None, t: Tally) -> SimulationRow:
    return from_row(SimulationRow, t, agent=agent, team=team)


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for t in tallies:
        total.calls += t.calls
        total.cost_usd += t.cost_usd
        total.rerouted_cost_at_new_model_usd += t.rerouted_cost_at_new_model_usd
        for action in ACTIONS:
            total.counts[action] += t.counts[action]
            total.dollars[action] += t.dollars[action]
            total.unpriced[action] += t.unpriced[action]
        for name, calls in t.would_have.items():
            total.would_have[name] = total.would_have.get(name, 0) + calls
    return total
