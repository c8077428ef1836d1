"""Budget top-ups through the approvals flow, end to end: an agent refused by a hard budget
(a real ``agentops proxy``, the official OpenAI SDK, the fake provider upstream), a top-up
asked for from the CLI, approved from the CLI by another admin, honoured by the proxy as soon
as the snapshot it publishes arrives, audited, and refused again once it expires."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from cli.approvals_cmd import approvals
from cli.budgets_cmd import budgets
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for


@pytest.fixture
async def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=1) as running:
        yield running


async def admin_token(cluster: Cluster) -> str:
    """A second member, an admin: signs up, is invited by the owner, logs in to the org."""
    email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    async with aiohttp.ClientSession() as session:
        body = {"email": email, "password": "correct horse", "org_name": "own",
                "org_slug": f"own-{uuid.uuid4().hex[:6]}"}  # fmt: skip
        async with session.post(f"{cluster.url}/api/v1/auth/signup", json=body) as response:
            assert response.status == 202, await response.text()
        await cluster.api("POST", "/org-members", {"email": email, "role": "admin"})
        login = {"email": email, "password": "correct horse", "org": cluster.org}
        async with session.post(f"{cluster.url}/api/v1/auth/login", json=login) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["access_token"])


async def spend(proxy: ProxyProcess) -> Any:
    async with proxy.openai("spender") as client:
        return await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=20
        )


async def refused(proxy: ProxyProcess) -> bool:
    try:
        await spend(proxy)
    except openai.RateLimitError as error:
        return error.code == "budget_exceeded"
    return False


async def test_a_topup_is_requested_approved_honoured_audited_and_expires(
    cluster: Cluster,
) -> None:
    budget = await cluster.api("POST", "/budgets", {
        "name": "spender-daily", "scope": "agent", "target": "spender", "limit_usd": "0.000001",
        "period": "daily", "enforcement": "hard"})  # fmt: skip
    await wait_for(cluster.all_applied)
    [proxy] = cluster.proxies
    with pytest.raises(openai.RateLimitError) as stopped:
        await spend(proxy)
    assert f"agentops budgets topup {budget['id']}" in stopped.value.message

    asked = await cluster.cli(
        budgets,
        "topup",
        budget["name"],
        "--amount",
        "1",
        "--hours",
        "0.002",
        "--reason",
        "quarter-end batch",
        "--agent",
        "spender",
        "-o",
        "json",
    )  # fmt: skip (by name; the JSON is the approval request)
    assert asked.exit_code == 0, asked.output
    topup_id = json.loads(asked.output)["id"]
    shown = await cluster.api("GET", f"/approvals/{topup_id}")
    assert (shown["status"], Decimal(shown["topup_usd"]), shown["topup_seconds"]) == (
        "pending", 1, 8)  # fmt: skip
    pending = await cluster.api("GET", "/approvals?status=pending")
    assert topup_id in [a["id"] for a in pending["items"]]  # in the approvals queue
    with pytest.raises(AssertionError, match=r"403.*not_an_approver"):  # never the requester
        await cluster.api("POST", f"/approvals/{topup_id}/approve", {"reason": "mine"})

    admin = await admin_token(cluster)
    approved = await cluster.cli(approvals, "approve", topup_id, "--reason", "ok for today",
                                 token=admin)  # fmt: skip
    assert approved.exit_code == 0, approved.output
    assert f"approved top-up {topup_id}: +$1" in approved.output
    decided = time.monotonic()
    await wait_for(lambda: _allowed(proxy))
    print(f"top-up honoured {time.monotonic() - decided:.3f}s after the CLI's approval")

    audit = await cluster.api("GET", "/audit-logs?action=budget.topup_request")
    assert [e["entity_id"] for e in audit["items"]] == [topup_id]
    audit = await cluster.api("GET", "/audit-logs?action=approval.approve")
    [entry] = audit["items"]
    assert Decimal(entry["after"]["topup_usd"]) == 1
    assert entry["after"]["topup_until"] is not None

    await wait_for(lambda: refused(proxy))  # expired: the proxy drops it by its own clock


async def _allowed(proxy: ProxyProcess) -> bool:
    try:
        return bool((await spend(proxy)).choices)
    except openai.RateLimitError:
        return False
