"""Store functions for policies. The caller's transaction is scoped to its org (and RLS backs
that up on PostgreSQL); every query names the org as well."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import OrgTable, add_row, delete_row, find_row, list_rows
from control_plane.store.tables import PolicyRow

POLICIES = OrgTable(PolicyRow)
get_policy = POLICIES.get
list_policies = POLICIES.page
delete_policy = delete_row


async def create_policy(
    session: AsyncSession, *, org_id: uuid.UUID, spec: dict[str, Any], created_by: str | None
) -> PolicyRow:
    row = PolicyRow(
        org_id=org_id,
        name=spec["name"],
        enabled=spec["enabled"],
        mode=spec["mode"],
        spec=spec,
        revision=1,
        created_by=created_by,
    )
    return await add_row(session, row)


async def get_policy_by_name(
    session: AsyncSession, org_id: uuid.UUID, name: str
) -> PolicyRow | None:
    return await find_row(session, PolicyRow, PolicyRow.org_id == org_id, PolicyRow.name == name)


async def list_enabled_policies(session: AsyncSession, org_id: uuid.UUID) -> Sequence[PolicyRow]:
    match = (PolicyRow.org_id == org_id, PolicyRow.enabled.is_(True))
    return await list_rows(session, PolicyRow, *match, order_by=[PolicyRow.name])


async def update_policy(session: AsyncSession, row: PolicyRow, spec: dict[str, Any]) -> None:
    row.name, row.enabled, row.mode, row.spec = spec["name"], spec["enabled"], spec["mode"], spec
    row.revision += 1
    await session.flush()
