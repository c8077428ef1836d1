"""/prices and /costs/reprice through the real app on PostgreSQL: overrides with versions and
audit entries, unpriced models, re-pricing (dry and real) and org prices at ingestion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pricing import load_bundled_table
from tests.control_plane.conftest import Session, SignUp, api_key, join
from tests.harness.records import T0, record

BUNDLED = load_bundled_table().version
PRIVATE = "acme-private-llm"
RANGE = {
    "from": (T0 - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
}


async def test_overrides_are_versioned_and_audited(signup: SignUp) -> None:
    owner = await signup()
    assert await owner.ok("GET", "/prices/overrides") == {
        "version": 0, "price_version": BUNDLED, "items": [],
    }  # fmt: skip
    body = {"model": "gpt-4o", "provider": "openai", "input": "2", "output": "8"}
    first = await owner.ok("POST", "/prices/overrides", 201, json=body)
    assert (first["version"], first["input"], first["output"]) == (
        1,
        "2.0000000000",
        "8.0000000000",
    )
    second = await owner.ok("POST", "/prices/overrides", 201, json=body | {"input": "1.5"})
    listed = await owner.ok("GET", "/prices/overrides")
    assert (listed["version"], listed["price_version"]) == (2, f"{BUNDLED}+org.2")
    assert [(o["id"], o["input"]) for o in listed["items"]] == [(second["id"], "1.5000000000")]
    gone = {"model": "gpt-4o", "provider": "openai"}
    await owner.ok("DELETE", "/prices/overrides", 204, params=gone)
    await owner.ok("DELETE", "/prices/overrides", 404, params=gone)
    listed = await owner.ok("GET", "/prices/overrides")
    assert (listed["version"], listed["items"]) == (3, [])
    audit = await owner.ok("GET", "/audit-logs", params={"entity_type": "price_override"})
    actions = sorted(e["action"] for e in audit["items"])
    assert actions == ["price_override.delete", "price_override.set", "price_override.set"]


async def test_overrides_the_pricing_rules_cannot_apply_are_refused(signup: SignUp) -> None:
    owner = await signup()
    discount_only = {"model": PRIVATE, "discount_percent": "10"}
    refused = await owner.ok("POST", "/prices/overrides", 422, json=discount_only)
    assert "catalogue model" in refused["error"]["message"]
    await owner.ok("POST", "/prices/overrides", 422, json={"model": "gpt-4o"})
    await owner.ok("GET", "/prices/overrides")


async def test_viewers_read_prices_and_only_admins_change_them(signup: SignUp) -> None:
    owner = await signup()
    viewer = await join(owner, signup, "viewer")
    await viewer.ok("GET", "/prices/overrides")
    await viewer.ok("GET", "/prices/unpriced")
    body = {"model": "gpt-4o", "input": "1"}
    await viewer.ok("POST", "/prices/overrides", 403, json=body)
    await viewer.ok("POST", "/costs/reprice", 403, json=RANGE)


async def _ingest(owner: Session, *records: dict[str, Any]) -> None:
    key = await api_key(owner, "ingest")
    answer = await key.ok("POST", "/ingest/batch", json={"records": list(records)})
    assert answer["stored"] == len(records), answer


async def test_unpriced_calls_are_repriced_once_a_price_exists(signup: SignUp) -> None:
    owner = await signup(org="acme")
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    unpriced = record(model=PRIVATE, cost=None, input_tokens=1_000_000, output_tokens=1_000)
    await _ingest(owner, unpriced, record(model="gpt-4o-mini", cost="0.0001"))
    found = await owner.ok("GET", "/prices/unpriced", params=RANGE)
    assert found["calls"] == 1
    assert [(m["model"], m["calls"]) for m in found["items"]] == [(PRIVATE, 1)]

    price = {"model": PRIVATE, "provider": "openai", "input": "0.5", "output": "2"}
    await owner.ok("POST", "/prices/overrides", 201, json=price)
    dry = await owner.ok("POST", "/costs/reprice", json=RANGE | {"model": PRIVATE, "dry_run": True})
    assert (dry["batch_id"], dry["calls_changed"], dry["newly_priced"]) == (None, 1, 1)
    assert (dry["old_total_usd"], dry["new_total_usd"]) == ("0.0000000000", "0.5020000000")
    assert (await owner.ok("GET", "/prices/unpriced", params=RANGE))["calls"] == 1

    done = await owner.ok("POST", "/costs/reprice", json=RANGE | {"agent": "bot"})
    assert done["batch_id"] is not None
    assert done["calls_changed"] == 2  # the mispriced gpt-4o-mini call too
    change = next(c for c in done["changes"] if c["model"] == PRIVATE)
    assert change["old_total_usd"] is None
    assert change["new_price_version"] == f"{BUNDLED}+org.1"
    assert (await owner.ok("GET", "/prices/unpriced", params=RANGE))["calls"] == 0
    summary = await owner.ok("GET", "/costs/summary", params={"group_by": "model", **RANGE})
    assert summary["totals"]["unpriced_calls"] == 0
    assert summary["totals"]["cost_usd"] == done["new_total_usd"]
    audit = await owner.ok("GET", "/audit-logs", params={"action": "costs.reprice"})
    assert audit["items"][0]["entity_id"] == done["batch_id"]

    # From now on ingestion prices the model at the override.
    later = record(model=PRIVATE, cost=None, input_tokens=2_000_000, output_tokens=0)
    await _ingest(owner, later)
    run = await owner.ok("GET", "/runs/run-1")
    priced = next(c for c in run["call_list"] if c["call_id"] == later["call_id"])
    assert priced["cost_usd"] == "1.0000000000"


async def test_reprice_refuses_an_unknown_agent_and_a_reversed_range(signup: SignUp) -> None:
    owner = await signup()
    await owner.ok("POST", "/costs/reprice", 404, json=RANGE | {"agent": "nobody"})
    reversed_range = {"from": RANGE["to"], "to": RANGE["from"]}
    await owner.ok("POST", "/costs/reprice", 422, json=reversed_range)
