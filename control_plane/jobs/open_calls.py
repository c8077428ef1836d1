"""The open-call closer: a job closing calls left ``in_progress`` past the timeout.

A proxy restarted on its spool finalises the calls it was cut off in (``proxy.open_calls``);
this job covers the rest (a proxy that never comes back, a lost spool): every minute, calls
started more than ``control_plane.open_call_timeout_seconds`` ago and still open become
``interrupted`` and their runs stop ``running`` (``control_plane.store.open_calls``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from control_plane.jobs.context import JobContext
from control_plane.store import open_calls as store
from control_plane.store.tables import utcnow

log = logging.getLogger(__name__)


async def close_open_calls(ctx: JobContext) -> None:
    now = utcnow()
    before = now - timedelta(seconds=ctx.settings.control_plane.open_call_timeout_seconds)
    async with ctx.database.transaction() as session:
        org_ids = await store.orgs_with_open_calls(session, before)
    for org_id in org_ids:
        async with ctx.database.transaction(org_id) as session:
            closed = await store.close_open_calls(session, org_id, before, now)
        if closed:
            log.warning(
                "calls left open past the timeout closed as interrupted",
                extra={"org_id": str(org_id), "calls": closed},
            )
