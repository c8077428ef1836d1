"""The per-call API on the real app: filters as for runs, keyset pages without gaps, one call
with everything stored, money as fixed 10-place strings, unpriced calls never shown as free,
and no call visible from another org."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from control_plane.openapi import build_openapi
from control_plane.routes import API_PREFIX, ROUTES
from tests.control_plane.conftest import Session, SignUp, api_key
from tests.harness.records import T0, record


async def seeded(signup: SignUp) -> tuple[Session, list[dict[str, Any]]]:
    owner = await signup(org="acme")
    await owner.ok("POST", "/teams", 201, json={"name": "research"})
    await owner.ok("POST", "/agents", 201, json={"name": "bot", "team": "research"})
    await owner.ok("POST", "/agents", 201, json={"name": "crawler"})
    batch = []
    for i in range(9):
        agent, model = ("bot", "gpt-4o") if i % 2 else ("crawler", "claude-3-5-haiku")
        batch.append(record(
            agent=agent, run_id=f"fwd-{i % 3}", model=model, cost=f"0.0{i}",
            provider="openai" if i % 2 else "anthropic", started_at=T0 - timedelta(minutes=i),
            status="error" if i == 4 else "ok", tags={"env": "prod" if i < 5 else "staging"},
        ))  # fmt: skip
    batch.append(record(agent="crawler", run_id="fwd-9", model="mystery-1", cost=None,
                        started_at=T0 - timedelta(minutes=30)))  # fmt: skip
    answer = await (await api_key(owner, "ingest")).ok(
        "POST", "/ingest/batch", json={"records": batch}
    )
    assert answer["stored"] == 10
    return owner, batch


async def ids(owner: Session, **params: Any) -> list[str]:
    page = await owner.ok("GET", "/calls", params=params)
    return [c["call_id"] for c in page["items"]]


async def test_calls_filter_like_runs(signup: SignUp) -> None:
    owner, batch = await seeded(signup)
    by_index = [r["call_id"] for r in batch]
    assert await ids(owner) == by_index  # newest first: the seed goes back in time
    assert await ids(owner, agent="bot") == by_index[1:9:2]
    assert await ids(owner, team="research") == by_index[1:9:2]
    assert await ids(owner, run="fwd-1") == [by_index[1], by_index[4], by_index[7]]
    assert await ids(owner, model="gpt-4o", provider="openai") == by_index[1:9:2]
    assert await ids(owner, status="error") == [by_index[4]]
    assert await ids(owner, priced="false") == [by_index[9]]
    assert await ids(owner, min_cost="0.02", max_cost="0.03") == by_index[2:4]
    assert await ids(owner, tag="STAGING", agent="crawler") == [by_index[6], by_index[8]]
    assert await ids(owner, agent="nobody") == []
    assert await ids(owner, run="no-such-run") == []
    window = {"from": (T0 - timedelta(minutes=2)).isoformat(), "to": T0.isoformat()}
    assert await ids(owner, **window) == by_index[1:3]


async def test_calls_paginate_without_gaps_or_repeats(signup: SignUp) -> None:
    owner, batch = await seeded(signup)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = await owner.ok("GET", "/calls", params=params)
        seen += [c["call_id"] for c in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [r["call_id"] for r in batch]
    for bad in ({"cursor": "garbage"}, {"limit": 0}, {"status": "fine"}, {"priced": "maybe"},
                {"from": T0.isoformat(), "to": (T0 - timedelta(hours=1)).isoformat()}):  # fmt: skip
        response = await owner.call("GET", "/calls", params=bad)
        assert response.status == 422, bad
        assert (await response.json())["error"]["code"] == "validation_error"


async def test_one_call_shows_everything_stored(signup: SignUp) -> None:
    owner = await signup(org="acme")
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    key = await api_key(owner, "ingest")
    full = record(
        run_id="fwd-1", model="o3-mini", cost="0.0000000000", streamed=True,
        service_tier="flex", ttft_ms=42.5, upstream_ms=900.0, overhead_ms=1.5,
        tokens={"input": 1200, "output": 300, "cached_read": 1000, "reasoning": 200,
                "source": "estimated"},
        estimated_input_tokens=1180, tool_names=["search", "lookup"], finish_reason="tool_calls",
        error_type=None, request_bytes=2048, response_bytes=512,
    )  # fmt: skip
    full["model_requested"] = "o3-mini-latest"
    full["cost"] = {"total_usd": "0", "breakdown": {"input": "0", "output": "0"},
                    "price_version": "bundled-2026-11-01", "priced_model": "o3-mini"}  # fmt: skip
    answer = await key.ok("POST", "/ingest/batch", json={"records": [full]})
    assert answer["stored"] == 1, answer
    call = await owner.ok("GET", f"/calls/{full['call_id']}")
    assert call["run_id"] == "fwd-1"
    assert call["agent"] == "bot"
    assert (call["model_requested"], call["model_served"]) == ("o3-mini-latest", "o3-mini")
    assert call["streamed"] is True
    assert call["service_tier"] == "flex"
    assert call["tokens"] == {
        "input": 1200, "output": 300, "cached_read": 1000, "cache_write_5m": 0,
        "cache_write_1h": 0, "reasoning": 200, "audio_input": 0, "audio_output": 0,
        "source": "estimated", "estimated_input_tokens": 1180,
    }  # fmt: skip
    assert call["cost"] == {
        "total_usd": "0.0000000000", "breakdown": {"input": "0.0000000000", "output": "0.0000000000"},
        "price_version": "bundled-2026-11-01", "priced_model": "o3-mini", "unpriced_reason": None,
    }  # fmt: skip
    assert call["tool_names"] == ["search", "lookup"]
    assert call["finish_reason"] == "tool_calls"
    assert (call["ttft_ms"], call["upstream_ms"], call["overhead_ms"]) == (42.5, 900.0, 1.5)
    assert (call["request_bytes"], call["response_bytes"]) == (2048, 512)
    assert call["status"] == "ok"
    assert call["http_status"] == 200
    listed = (await owner.ok("GET", "/calls"))["items"][0]
    assert listed["cost_usd"] == "0.0000000000"  # zero is a fixed 10-place string, not 0E-10
    assert listed["token_source"] == "estimated"
    assert listed["run_id"] == "fwd-1"


async def test_an_unpriced_call_is_null_with_its_reason_never_zero(signup: SignUp) -> None:
    owner, batch = await seeded(signup)
    call = await owner.ok("GET", f"/calls/{batch[9]['call_id']}")
    assert call["cost"]["total_usd"] is None
    assert call["cost"]["unpriced_reason"] == "unpriced_model"
    listed = await owner.ok("GET", "/calls", params={"priced": "false"})
    assert listed["items"][0]["cost_usd"] is None
    assert listed["items"][0]["unpriced_reason"] == "unpriced_model"


async def test_calls_of_another_org_and_unknown_ids_are_404(signup: SignUp) -> None:
    owner, batch = await seeded(signup)
    other = await signup(org="globex")
    for who, ref in ((other, batch[0]["call_id"]), (owner, str(uuid.uuid4())), (owner, "fwd-1")):
        response = await who.call("GET", f"/calls/{ref}")
        assert response.status == 404, ref
        assert (await response.json())["error"]["code"] == "not_found"
    assert await ids(other) == []


async def test_openapi_run_ids_are_text_like_the_api_accepts(signup: SignUp) -> None:
    owner, _ = await seeded(signup)
    doc = build_openapi(ROUTES, API_PREFIX)
    for path in ("/runs/{run_id}", "/events/{run_id}"):
        (param,) = doc["paths"][API_PREFIX + path]["get"]["parameters"]
        assert param["schema"]["type"] == "string"
        assert "format" not in param["schema"]
        assert (await owner.call("GET", path.replace("{run_id}", "fwd-1"))).status == 200
    (call_param,) = doc["paths"][API_PREFIX + "/calls/{call_id}"]["get"]["parameters"]
    assert call_param["schema"]["format"] == "uuid"
