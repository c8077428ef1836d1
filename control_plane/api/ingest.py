"""/ingest: call records from proxies (batch) and runs reported directly by SDKs (run).

The batch body is parsed here rather than by the route adapter: the adapter would refuse the
whole batch for one bad record, and a refused batch is retried forever by the shipper. Here a
bad record gets its own "rejected" outcome and the rest is stored.
"""

from __future__ import annotations

from typing import Any

from agentops.wire.ingest import IngestBatchResponse
from control_plane import app_keys
from control_plane.endpoint import ApiRequest, load_json_body
from control_plane.errors import ValidationFailedError, found
from control_plane.ingest.any_org import ANY_ORG, ingest_any_org
from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.ingest.rows import event_id
from control_plane.ingest.validate import body_text_is_clean
from control_plane.schemas.records import (
    MAX_BATCH,
    IngestRunRequest,
    IngestRunResponse,
)
from control_plane.store import events, orgs
from control_plane.store.tables.runs import run_pk
from control_plane.store.types import AsyncSession


async def ingest_batch(req: ApiRequest) -> IngestBatchResponse:
    body = await req.request.read()
    records = _parse_records_body(body)
    if ANY_ORG in req.principal.scopes:
        async with req.transaction() as session:
            own = await _target(req, session)
        database, prices = req.app_get(app_keys.DATABASE), req.app_get(app_keys.PRICE_CACHE)
        return await ingest_any_org(database, req.principal, own, records, prices)
    async with req.transaction() as session:
        target = await _target(req, session)
        return await ingest_records(
            session,
            target,
            records,
            text_checked=body_text_is_clean(body),
            price_cache=req.app_get(app_keys.PRICE_CACHE),
        )


async def ingest_run(req: ApiRequest) -> IngestRunResponse:
    body = req.body_as(IngestRunRequest)
    async with req.transaction() as session:
        target = await _target(req, session)
        defaults = {"org": target.org_slug, "agent": body.agent, "run_id": body.run_id,
                    "run_source": "sdk"}  # fmt: skip
        records = [defaults | call for call in body.calls]
        answer = await ingest_records(
            session, target, records, price_cache=req.app_get(app_keys.PRICE_CACHE)
        )
        pk = run_pk(target.org_id, body.run_id)
        rows = [
            {"id": event_id(pk, e.kind, e.at, e.data), "at": e.at, "org_id": target.org_id,
             "run_pk": pk, "kind": f"sdk.{e.kind}", "call_id": None, "data": e.data}
            for e in body.events
        ]  # fmt: skip
        await events.insert_events(session, rows)
    return IngestRunResponse(run_id=body.run_id, run=str(pk), calls=answer, events_stored=len(rows))


async def _target(req: ApiRequest, session: AsyncSession) -> IngestTarget:
    principal = req.principal
    org = found(await orgs.get_org(session, principal.org_id), "the API key's org no longer exists")
    return IngestTarget(
        org_id=org.id,
        org_slug=org.slug,
        auto_register_agents=org.auto_register_agents,
        agent_id=principal.agent_id,
    )


def _parse_records_body(raw: bytes) -> list[Any]:
    data = load_json_body(raw)
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise ValidationFailedError('body: send {"records": [CallRecord, ...]}')
    if len(records) > MAX_BATCH:
        raise ValidationFailedError(f"body: records: at most {MAX_BATCH} records per batch")
    return records
