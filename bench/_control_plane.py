"""What every control-plane benchmark does first: its settings, and an owner signed in.

Settings: the throwaway database given, on a free port, fast password hashing, no worker, and
no API rate limit (the benchmark is the only client). ``owner``: signup answers 202 without
tokens whatever the address (account enumeration), so the owner then logs in.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import aiohttp

from agentops.settings import Settings, load_settings
from tests.harness.ports import free_port

API = "/api/v1"
PASSWORD = "correct horse"


def bench_settings(database_url: str) -> Settings:
    return load_settings(
        home=Path("/tmp") / f"agentops-bench-{uuid.uuid4().hex[:6]}",
        control_plane={"database_url": database_url, "app_role": "agentops_app", "port": free_port(),
                       "password_hash_fast": True, "run_worker": False,
                       "rate_limit_per_minute": 1_000_000},
    )  # fmt: skip


async def owner(http: aiohttp.ClientSession, email: str, slug: str) -> dict[str, Any]:
    """Sign up org ``slug`` with ``email`` as its owner, then log in: the token response."""
    body = {"email": email, "password": PASSWORD, "org_name": slug, "org_slug": slug}
    async with http.post(f"{API}/auth/signup", json=body) as r:
        assert r.status == 202, await r.text()
    async with http.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
        signed: dict[str, Any] = await r.json()
    return signed
