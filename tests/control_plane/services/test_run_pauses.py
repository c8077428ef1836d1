"""Lifting a run's pause: a team_lead acts on its own team's runs only, and the embedded
control plane lifts pauses on the very counters its in-process proxy reads."""

from __future__ import annotations

from agentops.statebus import RunCall
from control_plane import app_keys
from control_plane.services.control_state import open_state_bus
from tests.control_plane.api.test_runs import seeded
from tests.control_plane.conftest import SignUp, join


async def test_a_team_lead_resumes_its_own_teams_runs_only(signup: SignUp) -> None:
    owner, made = await seeded(signup)  # run-01 is bot's (team research), run-00 crawler's
    counters = owner.client.app[app_keys.STATE_BUS].runs
    assert counters is not None
    slug = (await owner.ok("GET", "/orgs/profile"))["slug"]
    for run in ("run-00", "run-01"):
        await counters.pause(f"{slug}:{run}", "policy 'loops' paused it", 600)
    lead = await join(owner, signup, "team_lead", team_id=made["team"]["id"])

    outside = await lead.ok("POST", "/runs/run-00/resume", 403, json={})
    assert outside["error"]["code"] == "outside_team"
    assert await counters.paused(f"{slug}:run-00") is not None
    await lead.ok("POST", "/runs/run-01/resume", json={"reason": "mine"})
    assert await counters.paused(f"{slug}:run-01") is None


async def test_the_embedded_bus_carries_the_proxys_run_counters() -> None:
    bus = open_state_bus(None, "agentops:")
    assert bus.memory is not None
    assert bus.runs is bus.memory.runs  # the one set the embedded proxy's gate counts on
    await bus.memory.runs.pause("o:r", "why", 600)
    assert (await bus.memory.runs.count(RunCall("o:r", "p", "", 1))).paused == "why"
    assert await bus.runs.resume("o:r")
    assert (await bus.memory.runs.count(RunCall("o:r", "p", "", 1))).paused is None
