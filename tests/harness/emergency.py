"""Helpers of the emergency-control tests that read like the API calls they make, on the real
control-plane app (PostgreSQL + a flushed Redis db)."""

from __future__ import annotations

from typing import Any

from tests.control_plane.conftest import Session, client, cp_settings, signup  # noqa: F401


async def team(owner: Session, name: str) -> str:
    created = await owner.ok("POST", "/teams", 201, json={"name": name})
    return str(created["id"])


async def agent(owner: Session, name: str, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = await owner.ok("POST", "/agents", 201, json={"name": name, **fields})
    return created


async def act(session: Session, action: str, status: int = 200, **body: Any) -> Any:
    return await session.ok("POST", f"/emergency/{action}", status, json=body)
