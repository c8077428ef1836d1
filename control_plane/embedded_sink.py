"""``EmbeddedSink``: the proxy's ``RecordSink`` when the control plane runs in the same process
(``agentops up``). It calls the ingest service directly, in one transaction per batch, for the
default org, so the embedded setup and a deployed one share every ingestion rule.

The default org is the one named by ``proxy.default_org``; it is created on first delivery if
it does not exist yet, and registers unknown agents as its ``auto_register_agents`` says.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from agentops.wire.ingest import IngestBatchResponse
from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.services.prices import PriceCache
from control_plane.store import orgs
from control_plane.store.engine import Database, set_current_org
from control_plane.store.types import AsyncSession


class EmbeddedSink:
    def __init__(
        self, database: Database, org_slug: str = "default", timezone: str = "UTC"
    ) -> None:
        self._database = database
        self._slug = org_slug
        self._timezone = timezone
        self._org_id: uuid.UUID | None = None
        self._prices = PriceCache()

    async def deliver(self, records: Sequence[dict[str, Any]]) -> IngestBatchResponse:
        async with self._database.transaction() as session:
            org_id = self._org_id or await self._default_org(session)
            await set_current_org(session, org_id)
            org = await orgs.get_org(session, org_id)
            register = org.auto_register_agents if org is not None else True
            target = IngestTarget(org_id, self._slug, auto_register_agents=register)
            answer = await ingest_records(session, target, list(records), price_cache=self._prices)
        self._org_id = org_id
        return answer

    async def _default_org(self, session: AsyncSession) -> uuid.UUID:
        found = await orgs.find_org_id_by_slug(session, self._slug)
        if found is not None:
            return found
        org_id = uuid.uuid4()
        await set_current_org(session, org_id)
        await orgs.create_org(
            session, org_id=org_id, slug=self._slug, name=self._slug, timezone=self._timezone
        )
        return org_id
