"""/audit-logs: read the org's audit trail (filters + cursor pagination)."""

from __future__ import annotations

from control_plane.endpoint import ApiRequest
from control_plane.schemas.audit import AuditLogOut, AuditLogPage, AuditQuery
from control_plane.store.audit import AuditFilters, list_audit_logs


async def list_entries(req: ApiRequest) -> AuditLogPage:
    query = req.query_as(AuditQuery)
    filters = AuditFilters(
        action=query.action,
        entity_type=query.entity_type,
        entity_id=query.entity_id,
        actor_id=query.actor_id,
        since=query.since,
        until=query.until,
    )
    async with req.transaction() as session:
        page = await list_audit_logs(
            session, req.principal.org_id, filters, cursor=query.cursor, limit=query.limit
        )
    return AuditLogPage(
        items=[AuditLogOut.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )
