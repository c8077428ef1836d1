"""Ingest for a shared proxy: one credential (``ingest:any-org``), records of many orgs.

A shared proxy verifies each agent's key against the key directory and serves every org whose
keys it holds, so its batches mix orgs. Each record names its org and carries the public id of
the agent key the proxy verified (``api_key_id``); a record of another org than the shipping
key's is stored only when that key exists in the named org, is unrevoked and has the ``ingest``
scope. Anything else is rejected as ``org not vouched`` (and kept by the proxy as a dead
letter). Records are stored one org at a time, each in its own org-scoped transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from agentops.wire.ingest import IngestBatchResponse
from control_plane.auth.principal import Principal
from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.services.prices import PriceCache
from control_plane.store import api_keys, orgs
from control_plane.store.engine import Database
from control_plane.store.tables import utcnow
from control_plane.store.types import AsyncSession

ANY_ORG = "ingest:any-org"


async def ingest_any_org(
    database: Database,
    principal: Principal,
    own: IngestTarget,
    raw: Sequence[Any],
    price_cache: PriceCache | None,
) -> IngestBatchResponse:
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(raw):
        org = item.get("org") if isinstance(item, dict) else None
        groups.setdefault(org if isinstance(org, str) else own.org_slug, []).append(index)
    outcomes: list[dict[str, Any]] = []
    for slug, indices in groups.items():
        records = [raw[i] for i in indices]
        if slug == own.org_slug:
            async with database.transaction(principal.org_id) as session:
                answer = await ingest_records(session, own, records, price_cache=price_cache)
            outcomes += _renumber(answer, indices)
        else:
            outcomes += await _other_org(database, slug, records, indices, price_cache)
    outcomes.sort(key=lambda o: o["index"])
    count = {
        s: sum(o["status"] == s for o in outcomes) for s in ("stored", "duplicate", "rejected")
    }
    return IngestBatchResponse.model_validate({**count, "outcomes": outcomes})


async def _other_org(
    database: Database,
    slug: str,
    records: list[Any],
    indices: list[int],
    price_cache: PriceCache | None,
) -> list[dict[str, Any]]:
    org_id = await _org_id(database, slug)
    if org_id is None:
        return [
            _rejected(i, r, f"org not vouched: no org named {slug!r}")
            for i, r in zip(indices, records, strict=True)
        ]
    out: list[dict[str, Any]] = []
    async with database.transaction(org_id) as session:
        org = await orgs.get_org(session, org_id)
        assert org is not None
        by_key: dict[tuple[uuid.UUID | None], list[int]] = {}
        for position, record in enumerate(records):
            problem, agent_id = await _vouch(session, org_id, slug, record)
            if problem:
                out.append(_rejected(indices[position], record, problem))
            else:
                by_key.setdefault((agent_id,), []).append(position)
        for (agent_id,), positions in by_key.items():
            target = IngestTarget(org_id, slug, org.auto_register_agents, agent_id)
            answer = await ingest_records(
                session, target, [records[p] for p in positions], price_cache=price_cache
            )
            out += _renumber(answer, [indices[p] for p in positions])
    return out


async def _vouch(
    session: AsyncSession, org_id: uuid.UUID, slug: str, record: dict[str, Any]
) -> tuple[str, uuid.UUID | None]:
    """('', the key's bound agent) when the record's agent key vouches for its org."""
    public_id = record.get("api_key_id")
    if not isinstance(public_id, str):
        return f"org not vouched: the record for org {slug!r} carries no verified agent key", None
    key = await api_keys.get_api_key_by_public_id(session, org_id, public_id)
    now = utcnow()
    if (
        key is None
        or key.revoked_at is not None
        or "ingest" not in key.scopes
        or (key.expires_at is not None and key.expires_at <= now)
    ):
        return (
            f"org not vouched: key {public_id!r} is not a live ingest key of org {slug!r}",
            None,
        )
    return "", key.agent_id


async def _org_id(database: Database, slug: str) -> uuid.UUID | None:
    async with database.transaction() as session:
        return await orgs.find_org_id_by_slug(session, slug)


def _renumber(answer: IngestBatchResponse, indices: list[int]) -> list[dict[str, Any]]:
    return [o.model_dump() | {"index": indices[o.index]} for o in answer.outcomes]


def _rejected(index: int, record: Any, reason: str) -> dict[str, Any]:
    call_id = record.get("call_id") if isinstance(record, dict) else None
    return {"index": index, "call_id": call_id if isinstance(call_id, str) else None,
            "status": "rejected", "reason": reason}  # fmt: skip
