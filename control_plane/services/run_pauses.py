"""Lifting a run's pause early: an admin resumes a run a ``pause_run`` policy paused.

The pause lives on the run counters every proxy replica reads on each call of the run (Redis,
or the in-process set the embedded proxy shares), not in the control-state snapshot, so
lifting it deletes it there: the run's next call, through any replica, goes on. The run's
calls and tokens so far stay counted; a loop that carries on trips its policy again.

Like every emergency control, the change is audited in the handler's transaction and applied
after the commit (``lift``): nothing is lifted that the audit log could lose.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentops.statebus import RunCounters
from agentops.statebus.errors import CounterUnavailable
from control_plane.auth.principal import Principal
from control_plane.errors import NotFoundError, UnavailableError, found
from control_plane.services.emergency import check_team
from control_plane.store import orgs, runs
from control_plane.store.tables import Run
from control_plane.store.types import AsyncSession


@dataclass(frozen=True)
class PausedRun:
    run: Run
    key: str  # the proxies' run key: org slug and run id
    pause: str  # what the pause said (the policy and why), kept in the audit log


async def get_paused_run(
    session: AsyncSession, principal: Principal, ref: str, counters: RunCounters
) -> PausedRun:
    """The run ``ref`` (its id or run key) and its pause. 404 when there is no such run or it
    is not paused, 403 for a team_lead outside the run's team, 503 when the counters are
    unreachable."""
    run = found(await runs.get_run(session, principal.org_id, ref), f"no such run: {ref!r}")
    check_team(principal, run.team_id, f"run {run.run_key!r}")
    org = await orgs.get_org(session, principal.org_id)
    assert org is not None, "the caller's org exists"
    key = f"{org.slug}:{run.run_key}"
    try:
        pause = await counters.paused(key)
    except CounterUnavailable as exc:
        raise _unreachable(exc) from exc
    if pause is None:
        raise NotFoundError(f"run {run.run_key!r} is not paused", code="not_paused")
    return PausedRun(run, key, pause)


async def lift(paused: PausedRun, counters: RunCounters) -> None:
    """Lift the pause (after the audit entry is committed); a pause that expired meanwhile is
    lifted all the same."""
    try:
        await counters.resume(paused.key)
    except CounterUnavailable as exc:
        raise _unreachable(exc) from exc


def _unreachable(exc: CounterUnavailable) -> UnavailableError:
    return UnavailableError(f"the run counters are unreachable ({exc}); try again")
