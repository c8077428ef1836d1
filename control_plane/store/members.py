"""Store functions for organization members (always scoped by org id)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.rows import OrgTable, add_row, delete_row, find_row, update_row
from control_plane.store.tables import OrganizationMember, User

get_member = OrgTable(OrganizationMember).get
update_member, delete_member = update_row, delete_row


async def create_member(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    team_id: uuid.UUID | None = None,
) -> OrganizationMember:
    member = OrganizationMember(org_id=org_id, user_id=user_id, role=role, team_id=team_id)
    return await add_row(session, member)


async def get_member_for_user(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> OrganizationMember | None:
    match = (OrganizationMember.org_id == org_id, OrganizationMember.user_id == user_id)
    return await find_row(session, OrganizationMember, *match)


async def list_members(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    role: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[tuple[OrganizationMember, User]]:
    stmt = (
        select(OrganizationMember, User)
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.org_id == org_id)
    )
    if role is not None:
        stmt = stmt.where(OrganizationMember.role == role)
    rows = (await session.execute(page_query(stmt, OrganizationMember.id, cursor, limit))).all()
    pairs = [(row[0], row[1]) for row in rows]
    return make_page(pairs, limit, lambda pair: pair[0].id)


async def count_owners(session: AsyncSession, org_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        OrganizationMember.org_id == org_id, OrganizationMember.role == "owner"
    )
    return int((await session.execute(stmt)).scalar_one())
