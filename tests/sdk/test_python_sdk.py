"""The Python SDK: calls made inside ``sdk.tag`` reach the real proxy tagged (httpx hooks for
the OpenAI SDK, a requests auth hook), and ``Reporter`` posts runs and events to a live control
plane, retrying with backoff, idempotent by run id, never raising into the agent."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import openai
import pytest
import requests

from agentops import sdk
from proxy.service import ProxyService
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import final_records


def records(service: ProxyService) -> list[dict[str, Any]]:
    assert service.spool.wait_durable(timeout=10)
    return sorted(final_records(service.spool.directory).values(), key=lambda r: r["started_at"])


async def test_calls_inside_a_tag_block_are_tagged_through_the_proxy(
    start_proxy: StartProxy, fake_provider: FakeProvider
) -> None:
    proxy = await start_proxy(upstream_overrides={"api.openai.com": fake_provider.url})
    assert proxy.reverse_address is not None
    host, port = proxy.reverse_address
    base = f"http://{host}:{port}/openai/v1"
    async with openai.AsyncOpenAI(
        base_url=base, api_key="sk-x", max_retries=0,
        http_client=httpx.AsyncClient(event_hooks=sdk.async_httpx_hooks()),
    ) as client:  # fmt: skip
        with (
            sdk.tag(run_id="sdk-run-1", agent="sdk-bot", tags={"ticket": "PAY-42"}),
            sdk.tag(tags={"note": "a,b=c"}),  # nested: inherits run and agent, adds a tag
        ):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        await client.chat.completions.create(  # outside: no tagging
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    session = requests.Session()
    session.auth = sdk.RequestsTagger()

    @sdk.tag(run_id="sdk-run-2", agent="sdk-bot")
    def step() -> None:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        reply = session.post(f"{base}/chat/completions", json=body,
                             headers={"Authorization": "Bearer sk-x"}, timeout=10)  # fmt: skip
        assert reply.status_code == 200

    await asyncio.to_thread(step)  # blocking client: off the loop the proxy runs on
    tagged, untagged, decorated = records(proxy)
    assert (tagged["agent"], tagged["run_id"], tagged["run_source"]) == (
        "sdk-bot",
        "sdk-run-1",
        "header",
    )
    assert tagged["tags"] == {"ticket": "PAY-42", "note": "a,b=c"}
    assert untagged["run_id"] != "sdk-run-1"
    assert untagged["tags"] == {}
    assert (decorated["agent"], decorated["run_id"]) == ("sdk-bot", "sdk-run-2")
    assert sdk.current_headers() == {}  # the context ended with the block


def _login(url: str) -> tuple[str, str]:
    body = {
        "email": "sdk@example.com",
        "password": "correct horse",
        "org_name": "Sdk",
        "org_slug": "sdk",
    }
    assert requests.post(f"{url}/api/v1/auth/signup", json=body, timeout=10).ok
    login = {"email": body["email"], "password": body["password"]}
    token = requests.post(f"{url}/api/v1/auth/login", json=login, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    requests.post(f"{url}/api/v1/agents", json={"name": "sdk-bot"}, headers=auth, timeout=10)
    key = requests.post(f"{url}/api/v1/api-keys", json={"name": "sdk", "scopes": ["ingest"]},
                        headers=auth, timeout=10).json()["key"]  # fmt: skip
    return token, key


def test_reports_reach_a_live_control_plane_once_however_often_sent(running_url: str) -> None:
    token, key = _login(running_url)
    reporter = sdk.Reporter(running_url, key)
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    call = {"call_id": "018f2b6e-1c2d-7a3b-9c4d-5e6f7a8b9c0d", "provider": "openai",
            "endpoint": "chat.completions", "model_requested": "gpt-4o-mini", "status": "ok",
            "tokens": {"input": 10, "output": 5}, "cost": {"total_usd": "0.0000045"},
            "started_at": at.isoformat()}  # fmt: skip
    for _ in range(2):  # a retried report is stored once
        assert reporter.report_run("orchestrated-1", "sdk-bot", calls=[call],
                                   events=[{"kind": "plan.made", "at": at, "data": {"steps": 3}}])  # fmt: skip
        assert reporter.report_event("orchestrated-1", "sdk-bot", "step.done", {"step": 1}, at=at)
    assert reporter.flush(30)
    reporter.close()
    assert (reporter.sent, reporter.dropped) == (4, 0)
    auth = {"Authorization": f"Bearer {token}"}
    run = requests.get(f"{running_url}/api/v1/runs/orchestrated-1", headers=auth, timeout=10).json()
    assert (run["calls"], run["cost_usd"], run["run_source"]) == (1, "0.0000045000", "sdk")
    events = requests.get(
        f"{running_url}/api/v1/events/orchestrated-1", headers=auth, timeout=10
    ).json()
    kinds = sorted(e["kind"] for e in events["items"])
    assert kinds.count("sdk.plan.made") == 1  # SDK events are namespaced by the plane
    assert kinds.count("sdk.step.done") == 1


class Flaky(http.server.BaseHTTPRequestHandler):
    answers: list[int] = []
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[tuple[str, type[Flaky]]]:
    Flaky.answers, Flaky.bodies = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Flaky
    server.shutdown()
    server.server_close()


def test_transient_failures_are_retried_with_the_same_body(flaky: Any) -> None:
    url, handler = flaky
    handler.answers = [503, 429]
    reporter = sdk.Reporter(url, "aoh_x", backoff_seconds=0.01)
    assert reporter.report_event("r-1", "bot", "step.done", {"n": 1})
    assert reporter.flush(10)
    reporter.close()
    assert (reporter.sent, reporter.dropped) == (1, 0)
    assert len(handler.bodies) == 3
    assert len(set(handler.bodies)) == 1
    assert json.loads(handler.bodies[0])["events"][0]["kind"] == "step.done"


def test_a_refusal_or_an_unreachable_plane_drops_the_report_never_raises(flaky: Any) -> None:
    url, handler = flaky
    handler.answers = [422]
    refused = sdk.Reporter(url, "aoh_x", backoff_seconds=0.01)
    assert refused.report_event("r-1", "bot", "step.done")
    assert refused.flush(10)
    refused.close()
    assert (refused.sent, refused.dropped, len(handler.bodies)) == (0, 1, 1)  # 4xx: not retried
    down = sdk.Reporter("http://127.0.0.1:9", "aoh_x", max_attempts=3, backoff_seconds=0.01)
    assert down.report_event("r-1", "bot", "step.done")
    assert down.flush(10)
    down.close()
    assert (down.sent, down.dropped) == (0, 1)
    full = sdk.Reporter("http://127.0.0.1:9", "aoh_x", queue_size=1, backoff_seconds=5)
    results = [full.report_event("r-1", "bot", "step.done") for _ in range(5)]
    assert results.count(False) >= 3  # a full queue drops instead of blocking the agent
    full.close(timeout=0.1)
