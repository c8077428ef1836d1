"""/ingest over HTTP on the real app and PostgreSQL: who may ingest, what the shipper is told,
and concurrent deliveries of one batch."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.control_plane.conftest import API, Session, SignUp, api_key
from tests.harness.records import record


async def setup_org(signup: SignUp, slug: str = "acme") -> tuple[Session, Session]:
    owner = await signup(org=slug)
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    return owner, await api_key(owner, "ingest")


async def post_batch(key: Session, records: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = await key.ok("POST", "/ingest/batch", json={"records": records})
    return result


async def test_the_batch_answer_lists_each_records_outcome(signup: SignUp) -> None:
    owner, key = await setup_org(signup)
    other, _ = await setup_org(signup, "globex")
    # An org that does not register agent names on first use rejects an unknown one.
    await owner.ok("PATCH", "/orgs/profile", json={"auto_register_agents": False})
    batch = [record(), record(agent="ghost"), {"call_id": 1}, record(org="globex"), record()]
    answer = await post_batch(key, batch)
    assert (answer["stored"], answer["duplicate"], answer["rejected"]) == (2, 0, 3)
    assert [o["status"] for o in answer["outcomes"]] == [
        "stored",
        "rejected",
        "rejected",
        "rejected",
        "stored",
    ]
    assert answer["outcomes"][3]["reason"].startswith("org mismatch")
    again = await post_batch(key, batch)
    assert (again["stored"], again["duplicate"], again["rejected"]) == (0, 2, 3)
    runs = await owner.ok("GET", "/runs")
    assert [r["calls"] for r in runs["items"]] == [2]
    assert (await other.ok("GET", "/runs"))["items"] == []  # globex sees none of acme's runs


async def test_only_an_ingest_key_may_ingest(signup: SignUp) -> None:
    owner, _ = await setup_org(signup)
    reader = await api_key(owner, "read")
    for who in (owner, reader):
        response = await who.call("POST", "/ingest/batch", json={"records": [record()]})
        assert response.status == 403
    response = await owner.client.post(f"{API}/ingest/batch", json={"records": []})
    assert response.status == 401


async def test_a_malformed_body_is_refused_whole(signup: SignUp) -> None:
    _, key = await setup_org(signup)
    response = await key.call("POST", "/ingest/batch", data=b"{not json")
    assert response.status == 400
    response = await key.call("POST", "/ingest/batch", json={"calls": []})
    assert response.status == 422


async def test_one_batch_delivered_concurrently_by_two_shippers_is_stored_once(
    signup: SignUp,
) -> None:
    owner, key = await setup_org(signup)
    second = await api_key(owner, "ingest")
    batch = [record(run_id=f"run-{i % 7}") for i in range(300)]
    answers = await asyncio.gather(*(post_batch(k, batch) for k in (key, second, key, second)))
    assert sum(a["stored"] for a in answers) == 300
    assert sum(a["duplicate"] for a in answers) == 900
    summary = await owner.ok("GET", "/costs/summary", params={"group_by": "agent"})
    assert summary["totals"]["calls"] == 300
    assert summary["totals"]["cost_usd"] == "0.3600000000"


async def test_an_sdk_reports_a_run_with_its_calls_and_events(signup: SignUp) -> None:
    owner, key = await setup_org(signup)
    call = {k: v for k, v in record().items() if k not in ("org", "agent", "run_id", "run_source")}
    body = {
        "run_id": "nightly-42",
        "agent": "bot",
        "calls": [call],
        "events": [{"kind": "tool", "at": "2026-11-27T10:00:00+00:00", "data": {"name": "grep"}}],
    }
    answer = await key.ok("POST", "/ingest/run", json=body)
    assert answer["calls"]["stored"] == 1
    await key.ok("POST", "/ingest/run", json=body)  # resent: nothing new
    timeline = await owner.ok("GET", f"/events/{answer['run']}")
    assert [e["kind"] for e in timeline["items"]] == ["sdk.tool", "call.finished"]
    run = await owner.ok("GET", "/runs/nightly-42")
    assert (run["run_id"], run["calls"], len(run["call_list"])) == ("nightly-42", 1, 1)
