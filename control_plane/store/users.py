"""Store functions for users, including the two lookups made before any org is known.

On PostgreSQL those lookups go through SECURITY DEFINER functions (see the first migration):
the application role cannot see users outside its current org, and at login there is no
current org yet. On SQLite (embedded, no RLS) they are plain queries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import Organization, OrganizationMember, User


@dataclass(frozen=True)
class LoginCandidate:
    user_id: uuid.UUID
    password_hash: str | None
    org_id: uuid.UUID
    org_slug: str


async def create_user(
    session: AsyncSession, *, email: str, password_hash: str | None, display_name: str | None
) -> User:
    user = User(email=email.lower(), password_hash=password_hash, display_name=display_name)
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return (await session.execute(select(User).where(User.id == user_id))).scalar_one_or_none()


async def get_users(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = await session.execute(select(User).where(User.id.in_(user_ids)))
    return {user.id: user for user in rows.scalars()}


async def find_user_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """Pre-org lookup: the id of the user with this e-mail, in any org."""
    email = email.lower()
    if _is_postgres(session):
        stmt = select(func.agentops_user_id_by_email(email, type_=User.id.type))
    else:
        stmt = select(User.id).where(User.email == email)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_login_candidates(session: AsyncSession, email: str) -> list[LoginCandidate]:
    """Pre-org lookup: the user's password hash and every org it belongs to, oldest first."""
    email = email.lower()
    if _is_postgres(session):
        fn = func.agentops_login_candidates(email).table_valued(
            "user_id", "password_hash", "org_id", "org_slug"
        )
        rows = (await session.execute(select(fn))).all()
    else:
        stmt = (
            select(User.id, User.password_hash, OrganizationMember.org_id, Organization.slug)
            .join(OrganizationMember, OrganizationMember.user_id == User.id)
            .join(Organization, Organization.id == OrganizationMember.org_id)
            .where(User.email == email)
            .order_by(OrganizationMember.created_at, OrganizationMember.id)
        )
        rows = (await session.execute(stmt)).all()
    return [LoginCandidate(uuid.UUID(str(r[0])), r[1], uuid.UUID(str(r[2])), r[3]) for r in rows]


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
