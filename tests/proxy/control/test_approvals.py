"""The proxy's approval desk on its own: what happens when nobody can be asked, a verdict for a
call held elsewhere, and an approval for the rest of a run."""

from __future__ import annotations

import time

from agentops.wire.approvals import ApprovalVerdict
from proxy.control.approvals import ApprovalDesk, excerpt
from proxy.decision import Call, Decision
from tests.harness.ports import free_port

HELD = Decision(action="hold", status=403, code="approval_required", reference="pol-1",
                hold_seconds=60)  # fmt: skip


def call(run: str = "run-1") -> Call:
    return Call(org="acme", agent="bot", run_id=run, provider="openai",
                endpoint="chat", model="gpt-4o")  # fmt: skip


async def test_a_control_plane_that_cannot_store_the_request_refuses_at_once() -> None:
    desk = ApprovalDesk(base_url=f"http://127.0.0.1:{free_port()}", api_key=None,
                        proxy_id="p", capture_content=False)  # fmt: skip
    started = time.monotonic()
    assert await desk.wait(call(), HELD) is None  # not the 60 s wait: nobody could approve
    print(f"refused after {time.monotonic() - started:.3f}s")
    assert desk.holding == 0
    await desk.close()


async def test_no_control_plane_at_all_refuses() -> None:
    desk = ApprovalDesk(base_url=None, api_key=None, proxy_id="p", capture_content=False)
    assert await desk.wait(call(), HELD) is None


def test_a_run_approval_covers_that_run_and_policy_only() -> None:
    desk = ApprovalDesk(base_url=None, api_key=None, proxy_id="p", capture_content=False)
    desk.hear(ApprovalVerdict(org="acme", id="apr_elsewhere", verdict="approved",
                              coverage="run", run_id="run-1", policy_id="pol-1"))  # fmt: skip
    assert desk.covered(call("run-1"), HELD)
    assert not desk.covered(call("run-2"), HELD)
    other_org = Call(org="other", agent="bot", run_id="run-1", provider="openai",
                     endpoint="chat", model="gpt-4o")  # fmt: skip
    assert not desk.covered(other_org, HELD)
    desk.hear(ApprovalVerdict(org="acme", id="apr_x", verdict="denied", coverage="run",
                              run_id="run-3", policy_id="pol-1"))  # fmt: skip
    assert not desk.covered(call("run-3"), HELD)  # a denial grants nothing


def test_the_excerpt_is_the_last_user_message_cut_short() -> None:
    body = {"messages": [{"role": "user", "content": "first"}, {"role": "assistant",
            "content": "x"}, {"role": "user", "content": [{"type": "text", "text": "y" * 900}]}]}  # fmt: skip
    assert excerpt(body) == "y" * 500
    assert excerpt({"input": "no messages"}) is None
