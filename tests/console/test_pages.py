"""Console pages on the real app and PostgreSQL: every page renders for an owner and a viewer,
what a viewer may not do is neither shown nor accepted, API errors become HTML pages with the
API's status, and the vendored assets are the files their checksums name."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from tests.console.conftest import Client, SignUp, join, sign_in
from tests.control_plane.conftest import Session

VENDOR = Path(__file__).resolve().parents[2] / "control_plane" / "console" / "static" / "vendor"
PAGES = ("/", "/agents", "/runs", "/costs", "/budgets", "/approvals", "/settings", "/connect")


async def _org_with_agent(signup: SignUp) -> tuple[Session, str]:
    owner = await signup()
    agent = await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    return owner, str(agent["id"])


@pytest.mark.parametrize("role", ["owner", "viewer"])
async def test_every_page_renders_for_each_role(client: Client, signup: SignUp, role: str) -> None:
    owner, agent_id = await _org_with_agent(signup)
    user = owner if role == "owner" else await join(owner, signup, "viewer")
    profile = await owner.ok("GET", "/orgs/profile")
    console = await sign_in(client, user.email, org=profile["slug"])
    for path in (*PAGES, f"/agents/{agent_id}"):
        html = await console.get(path)
        assert f'<span class="badge">{role}</span>' in html, path
    settings = await console.get("/settings")
    assert ("Create key" in settings) is (role == "owner")
    assert ("Invite" in settings) is (role == "owner")


async def test_a_viewer_gets_no_kill_button_and_a_forged_kill_is_refused(
    client: Client, signup: SignUp
) -> None:
    owner, agent_id = await _org_with_agent(signup)
    viewer = await join(owner, signup, "viewer")
    profile = await owner.ok("GET", "/orgs/profile")
    console = await sign_in(client, viewer.email, org=profile["slug"])
    page = await console.get(f"/agents/{agent_id}")
    assert "agent-actions" not in page
    assert "Kill…" not in page
    forged = await console.post(
        f"/agents/{agent_id}/control",
        {"action": "kill", "reason": "x", "confirm": "yes"},
        from_page=f"/agents/{agent_id}",
    )
    assert forged.status == 403
    assert "lacks permission emergency:write" in await forged.text()
    budget = await console.post(
        "/budgets", {"name": "b", "scope": "org", "limit_usd": "1"}, from_page="/budgets"
    )
    assert budget.status == 403
    assert (await owner.ok("GET", f"/agents/{agent_id}"))["status"] == "active"
    assert (await owner.ok("GET", "/budgets"))["items"] == []


async def test_bad_input_and_unknown_ids_are_html_pages_with_the_api_status(
    client: Client, signup: SignUp
) -> None:
    owner, _ = await _org_with_agent(signup)
    console = await sign_in(client, owner.email)
    missing = await console.get("/agents/not-a-uuid", status=404)
    assert "Not found" in missing
    # A browser's datetime-local field has no offset: read as UTC, not refused.
    await console.get("/runs?from=2026-01-01T00:00&to=2030-01-01T00:00")
    await console.get("/costs?group_by=day&from=2026-01-01T00:00")
    bad = await console.get("/runs?min_cost=lots", status=422)
    assert "min_cost" in bad
    response = await console.post(
        "/budgets", {"name": "b", "scope": "org", "limit_usd": "-5"}, from_page="/budgets"
    )
    assert response.status == 422
    assert "limit_usd" in await response.text()
    unknown = await console.post(
        "/agents/00000000-0000-0000-0000-000000000000/control",
        {"action": "explode"}, from_page="/agents",
    )  # fmt: skip
    assert unknown.status == 404


async def test_an_api_key_is_shown_once(client: Client, signup: SignUp) -> None:
    owner, _ = await _org_with_agent(signup)
    console = await sign_in(client, owner.email)
    created = await console.post(
        "/settings/api-keys", {"name": "ci", "scopes": "read"}, from_page="/settings"
    )
    html = await created.text()
    assert created.status == 200
    key = html.split('data-testid="secret-once">', 1)[1].split("<", 1)[0]
    assert key.startswith("aoh_")
    assert key not in await console.get("/settings")
    listed = await owner.ok("GET", "/api-keys")
    assert [k["name"] for k in listed["items"]] == ["ci"]


async def test_the_kill_asks_for_confirmation_before_acting(client: Client, signup: SignUp) -> None:
    owner, agent_id = await _org_with_agent(signup)
    console = await sign_in(client, owner.email)
    first = await console.post(
        f"/agents/{agent_id}/control", {"action": "kill", "reason": "INC-9"},
        from_page=f"/agents/{agent_id}",
    )  # fmt: skip
    assert first.status == 200
    assert "Yes, kill bot" in await first.text()
    assert (await owner.ok("GET", f"/agents/{agent_id}"))["status"] == "active"


def test_vendored_assets_match_their_checksums() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == 4
    for line in lines:
        digest, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        stem = (
            name.split(".min")[0].split(".umd")[0].removesuffix("-bundle.js").removesuffix(".css")
        )
        assert (VENDOR / f"{stem}.LICENSE").exists(), f"{name} has no licence file"


async def test_a_channel_test_send_queues_one_delivery_to_that_channel_only(
    client: Client, signup: SignUp
) -> None:
    owner, _ = await _org_with_agent(signup)
    console = await sign_in(client, owner.email)
    created = await console.post(
        "/settings/channels",
        {"name": "ops-hook", "kind": "webhook", "target": "https://93.184.215.14/x"},
        from_page="/settings",
    )
    assert "whsec_" in await created.text()  # the signing secret, shown once
    await owner.ok("POST", "/alerts/channels", 201,
                   json={"name": "finance", "kind": "email", "recipients": ["f@example.com"]})  # fmt: skip
    channels = {c["name"]: c["id"] for c in (await owner.ok("GET", "/alerts/channels"))["items"]}
    sent = await console.post(
        f"/settings/channels/{channels['ops-hook']}/test", {}, from_page="/settings"
    )
    assert sent.status == 303
    assert "Recent deliveries" in await console.get("/settings?notice=test_sent")
    deliveries = (await owner.ok("GET", "/alerts/deliveries"))["items"]
    assert [(d["channel_id"], d["event_type"], d["status"]) for d in deliveries] == [
        (channels["ops-hook"], "test", "pending")
    ]
    viewer = await join(owner, signup, "viewer")
    refused = await viewer.call("POST", f"/alerts/channels/{channels['finance']}/test")
    assert refused.status == 403


async def test_the_run_timeline_shows_each_calls_forensic_detail(
    client: Client, signup: SignUp
) -> None:
    from tests.control_plane.conftest import api_key
    from tests.harness.records import record

    owner = await signup(org="acme")
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    key = await api_key(owner, "ingest")
    call = record(
        run_id="forensic-1", model="gpt-4o", model_served="gpt-4o-2024-08-06",
        tool_names=["lookup_order"], prompt="Where is order 17?", completion="It shipped.",
    )  # fmt: skip
    call["cost"]["breakdown"] = {"input": "0.001", "output": "0.0002"}
    await key.ok("POST", "/ingest/batch", json={"records": [call]})
    console = await sign_in(client, owner.email)
    run = (await owner.ok("GET", "/runs"))["items"][0]
    html = await console.get(f"/runs/{run['id']}")
    for shown in ("requested gpt-4o", "served gpt-4o-2024-08-06", "lookup_order",
                  "Where is order 17?", "It shipped.", "prices 2026-11-01", "input $0.001",
                  "reported"):  # fmt: skip
        assert shown in html, shown


async def test_an_admin_changes_a_members_role_then_removes_them(
    client: Client, signup: SignUp
) -> None:
    owner, _ = await _org_with_agent(signup)
    viewer = await join(owner, signup, "viewer")
    member = next(m for m in (await owner.ok("GET", "/org-members"))["items"]
                  if m["email"] == viewer.email)  # fmt: skip
    console = await sign_in(client, owner.email)
    changed = await console.post(
        f"/settings/members/{member['id']}", {"role": "member"}, from_page="/settings"
    )
    assert changed.status == 303
    roles = {m["email"]: m["role"] for m in (await owner.ok("GET", "/org-members"))["items"]}
    assert roles[viewer.email] == "member"
    removed = await console.post(
        f"/settings/members/{member['id']}", {"remove": "yes"}, from_page="/settings"
    )
    assert removed.status == 303
    emails = [m["email"] for m in (await owner.ok("GET", "/org-members"))["items"]]
    assert viewer.email not in emails


async def test_the_run_browser_pages_with_a_cursor_and_keeps_its_filters(
    client: Client, signup: SignUp
) -> None:
    from tests.control_plane.conftest import api_key
    from tests.harness.records import record

    owner = await signup(org="acme")
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    key = await api_key(owner, "ingest")
    batch = [record(run_id=f"r-{i:02d}", model="gpt-4o") for i in range(53)]
    await key.ok("POST", "/ingest/batch", json={"records": batch})
    console = await sign_in(client, owner.email)
    first = await console.get("/runs?model=gpt-4o")
    assert first.count('href="/runs/') == 50
    link = first.split('class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "model=gpt-4o" in link
    assert "cursor=" in link
    second = await console.get("/runs" + link)
    assert second.count('href="/runs/') == 3
    assert "Next page" not in second


async def test_an_admin_edits_a_budget_from_its_page(client: Client, signup: SignUp) -> None:
    owner, _ = await _org_with_agent(signup)
    budget = await owner.ok("POST", "/budgets", 201,
                            json={"name": "org-monthly", "scope": "org", "limit_usd": "10"})  # fmt: skip
    console = await sign_in(client, owner.email)
    assert "org-monthly" in await console.get(f"/budgets/{budget['id']}")
    saved = await console.post(
        f"/budgets/{budget['id']}",
        {"name": "org-monthly", "limit_usd": "25.50", "thresholds": "50, 90", "period": "weekly"},
        from_page=f"/budgets/{budget['id']}",
    )
    assert saved.status == 303
    after = await owner.ok("GET", f"/budgets/{budget['id']}")
    assert (Decimal(after["limit_usd"]), after["period"]) == (Decimal("25.50"), "weekly")
    assert [float(t) for t in after["threshold_alert_percent"]] == [50.0, 90.0]


async def _held_call(owner: Session, agent: str) -> str:
    """An approval request as a proxy stores it (with an ingest key the owner created)."""
    key = await owner.ok("POST", "/api-keys", 201, json={"name": f"proxy-{agent}",
                                                         "scopes": ["ingest"]})  # fmt: skip
    approval_id = f"apr_{agent}_0123456789"
    body = {"id": approval_id, "agent": agent, "run_id": f"run-{agent}", "provider": "openai",
            "model": "gpt-4o", "policy_id": "p-1", "policy_name": "gpt4o-needs-ok",
            "reason": "model is gpt-4o", "estimated_cost_usd": None, "key_id": None,
            "timeout_seconds": 600}  # fmt: skip
    response = await owner.client.post(
        "/api/v1/proxies/approvals", json=body, headers={"Authorization": f"Bearer {key['key']}"}
    )
    assert response.status == 201, await response.text()
    return approval_id


async def test_approvals_page_lists_held_calls_and_decides_them(
    client: Client, signup: SignUp
) -> None:
    owner, _ = await _org_with_agent(signup)
    first, second = await _held_call(owner, "bot-a"), await _held_call(owner, "bot-b")
    profile = await owner.ok("GET", "/orgs/profile")
    viewer = await join(owner, signup, "viewer")
    admin = await join(owner, signup, "admin")

    console = await sign_in(client, viewer.email, org=profile["slug"])
    page = await console.get("/approvals")
    assert "bot-a" in page
    assert "unpriced" in page  # an unpriced call is never shown as $0
    assert 'value="approve"' not in page
    forged = await console.post(
        f"/approvals/{first}", {"verdict": "approve", "reason": "x"}, from_page="/approvals"
    )
    assert forged.status == 403

    console = await sign_in(client, admin.email, org=profile["slug"])
    live = await client.get("/approvals", headers={"HX-Request": "true"})
    partial = await live.text()
    assert partial.startswith('<div id="pending-approvals" hx-get="/approvals"')
    assert 'hx-trigger="every 3s"' in partial
    assert partial.count('value="approve"') == 2
    approved = await console.post(
        f"/approvals/{first}", {"verdict": "approve", "reason": "looks fine", "for_run": "yes"},
        from_page="/approvals",
    )  # fmt: skip
    assert approved.status == 303
    denied = await console.post(
        f"/approvals/{second}", {"verdict": "deny", "reason": "too costly"}, from_page="/approvals"
    )
    assert denied.status == 303
    after = await console.get("/approvals?notice=approval_denied")
    assert "No call is waiting for an approval." in after
    assert "too costly" in after
    shown = await owner.ok("GET", f"/approvals/{first}")
    assert shown["status"] == "approved"
    assert shown["coverage"] == "run"
    assert shown["decided_by"] == admin.email
    assert (await owner.ok("GET", f"/approvals/{second}"))["status"] == "denied"
    bad = await console.post(
        f"/approvals/{first}", {"verdict": "maybe", "reason": "x"}, from_page="/approvals"
    )
    assert bad.status == 400
