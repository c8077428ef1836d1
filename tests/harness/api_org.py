"""An org signed up through the real API (PostgreSQL and Redis), with an owner session and an
ingest key: the ``org`` fixture of the control-plane tests; helpers that ingest call records
through the real ingest API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from tests.control_plane.conftest import Session, api_key

# The control-plane fixtures, shared: the real app, its settings, sign-up, a running server.
from tests.control_plane.conftest import client as client
from tests.control_plane.conftest import cp_settings as cp_settings
from tests.control_plane.conftest import running_url as running_url
from tests.control_plane.conftest import signup as signup


def call_record(
    org: str,
    agent: str,
    cost: Decimal | str | None,
    started_at: datetime,
    *,
    model: str = "gpt-4o-mini",
    provider: str = "openai",
    run_id: str = "run-1",
    input_tokens: int = 100,
    output_tokens: int = 20,
) -> dict[str, Any]:
    return {
        "call_id": str(uuid.uuid4()),
        "org": org,
        "agent": agent,
        "run_id": run_id,
        "provider": provider,
        "endpoint": "chat.completions",
        "model_requested": model,
        "model_served": model,
        "status": "ok",
        "http_status": 200,
        "tokens": {"input": input_tokens, "output": output_tokens},
        "cost": {"total_usd": None if cost is None else str(cost)},
        "started_at": started_at.isoformat(),
        "ended_at": started_at.isoformat(),
    }


class Org:
    """An org with an owner session, an ingest key and registered agents."""

    def __init__(self, owner: Session, ingest: Session, slug: str) -> None:
        self.owner = owner
        self.ingest = ingest
        self.slug = slug

    async def agent(self, name: str, team: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if team is not None:
            body["team"] = team
        result: dict[str, Any] = await self.owner.ok("POST", "/agents", 201, json=body)
        return result

    async def team(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.owner.ok("POST", "/teams", 201, json={"name": name})
        return result

    async def ingest_calls(self, *records: dict[str, Any]) -> None:
        answer = await self.ingest.ok("POST", "/ingest/batch", json={"records": list(records)})
        assert answer["rejected"] == 0, answer["outcomes"]


def app_of(org: Org) -> web.Application:
    app: web.Application | None = org.owner.client.app
    assert app is not None
    return app


@pytest.fixture
async def org(signup: Any) -> Org:
    owner = await signup()
    profile = await owner.ok("GET", "/orgs/profile")
    ingest = await api_key(owner, "ingest")
    return Org(owner, ingest, profile["slug"])
