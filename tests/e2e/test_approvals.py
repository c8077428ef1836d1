"""Approvals end to end: a require_approval policy holds calls in real ``agentops proxy``
processes (the official OpenAI SDK waiting on the open connection) until a member decides from
the CLI; the verdict travels on Redis to whichever proxy holds the call."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest

from cli.approvals_cmd import approvals
from tests.e2e.test_policies import apply
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for


@pytest.fixture
async def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=2) as running:
        yield running


async def ask(proxy: ProxyProcess, agent: str, model: str, run: str, **headers: str) -> Any:
    async with proxy.openai(agent, **{"x-agentops-run-id": run}, **headers) as client:
        return await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "ship it?"}], max_tokens=20
        )


async def pending(cluster: Cluster, agent: str) -> dict[str, Any]:
    """The one pending approval of ``agent``, once its proxy has stored it."""
    found: list[dict[str, Any]] = []

    async def stored() -> bool:
        page = await cluster.api("GET", "/approvals?status=pending")
        found[:] = [a for a in page["items"] if a["agent"] == agent]
        return bool(found)

    await wait_for(stored)
    [approval] = found
    return approval


async def test_held_calls_approved_denied_timed_out_and_never_self_approved(
    cluster: Cluster,
) -> None:
    await apply(
        cluster,
        {"name": "gpt4o-needs-ok", "action": "require_approval", "when": {"models": ["gpt-4o"]},
         "approval": {"timeout_seconds": 120}},
        {"name": "gpt41-quick-ok", "action": "require_approval",
         "when": {"models": ["gpt-4.1"]}, "approval": {"timeout_seconds": 3}},
    )  # fmt: skip
    first, second = cluster.proxies

    # Approved from the CLI for the rest of the run: the held call completes, and the run's
    # next call passes through the other proxy without being held again.
    held = asyncio.create_task(ask(first, "agent-a", "gpt-4o", "run-a"))
    approval = await pending(cluster, "agent-a")
    assert approval["policy_name"] == "gpt4o-needs-ok"
    assert approval["model"] == "gpt-4o"
    assert approval["estimated_cost_usd"] is not None  # priced: the worst case, in USD
    assert approval["excerpt"] is None  # content capture is off
    assert not held.done()  # still waiting on its open connection
    result = await cluster.cli(
        approvals, "approve", approval["id"], "--for-run", "--reason", "release review ok",
        "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["coverage"] == "run"
    decided = time.monotonic()
    completion = await held
    print(f"held call answered {time.monotonic() - decided:.3f}s after the CLI's approval")
    assert completion.choices[0].message.content
    again = await asyncio.wait_for(ask(second, "agent-a", "gpt-4o", "run-a"), timeout=30)
    assert again.choices[0].message.content
    shown_by_cli = await cluster.cli(approvals, "show", approval["id"], "-o", "json")
    shown = json.loads(shown_by_cli.stdout)
    assert shown["status"] == "approved"
    assert shown["coverage"] == "run"
    assert shown["decided_by"] == f"owner@{cluster.org}.example.com"
    assert shown["decision_reason"] == "release review ok"
    audit = await cluster.api("GET", "/audit-logs?action=approval.approve")
    assert [e["entity_id"] for e in audit["items"]] == [approval["id"]]

    # Denied: refused with the approver's reason; a second decision is a conflict.
    held = asyncio.create_task(ask(second, "agent-b", "gpt-4o", "run-b"))
    approval = await pending(cluster, "agent-b")
    result = await cluster.cli(
        approvals, "deny", approval["id"], "--reason", "use the mini", "-o", "json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "denied"
    with pytest.raises(openai.PermissionDeniedError) as denied:
        await held
    assert "use the mini" in str(denied.value)
    assert denied.value.code == "approval_denied"
    with pytest.raises(AssertionError, match="409"):
        await cluster.api("POST", f"/approvals/{approval['id']}/approve", {"reason": "oops"})

    # The call came with the owner's own key: the owner cannot approve it, and with nobody
    # else deciding it times out as denied.
    auth = base64.b64encode(f"agent-c:{cluster.ingest_key}".encode()).decode()
    held = asyncio.create_task(
        ask(first, "agent-c", "gpt-4.1", "run-c", **{"proxy-authorization": f"Basic {auth}"})
    )
    approval = await pending(cluster, "agent-c")
    with pytest.raises(AssertionError, match=r"403.*not_an_approver"):
        await cluster.api("POST", f"/approvals/{approval['id']}/approve", {"reason": "mine"})
    with pytest.raises(openai.PermissionDeniedError) as timed_out:
        await held
    assert timed_out.value.code == "approval_timeout"
    shown = await cluster.api("GET", f"/approvals/{approval['id']}")
    assert shown["status"] == "expired"
