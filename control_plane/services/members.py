"""Membership rules: invitations, role changes, removals, and the last-owner guarantee.

An org always keeps at least one owner, and only an owner may grant, change or remove the
owner role: otherwise an admin could lock the owners out.
"""

from __future__ import annotations

import uuid

from control_plane.auth.principal import Principal
from control_plane.errors import (
    ConflictError,
    ForbiddenError,
    ValidationFailedError,
    found,
)
from control_plane.schemas.common import from_row
from control_plane.schemas.members import MemberInvite, MemberOut, MemberUpdate
from control_plane.store import members, refresh_tokens, teams, users
from control_plane.store.tables import OrganizationMember, User, utcnow
from control_plane.store.types import AsyncSession


async def invite(session: AsyncSession, actor: Principal, body: MemberInvite) -> MemberOut:
    _check_owner_grant(actor, body.role)
    await _check_team(session, actor.org_id, body.team_id)
    user_id = await users.find_user_id_by_email(session, body.email)
    if user_id is None:
        # The user sets a password when accepting the invitation (no password until then).
        user_id = (
            await users.create_user(
                session, email=body.email, password_hash=None, display_name=None
            )
        ).id
    elif await members.get_member_for_user(session, actor.org_id, user_id) is not None:
        raise ConflictError(f"{body.email} is already a member", code="already_member")
    member = await members.create_member(
        session, org_id=actor.org_id, user_id=user_id, role=body.role, team_id=body.team_id
    )
    return await to_out(session, member)


async def get(session: AsyncSession, org_id: uuid.UUID, member_id: uuid.UUID) -> OrganizationMember:
    return found(
        await members.get_member(session, org_id, member_id), f"no such member: {member_id}"
    )


async def change(
    session: AsyncSession, actor: Principal, member: OrganizationMember, body: MemberUpdate
) -> OrganizationMember:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("role", member.role) is None:
        raise ValidationFailedError(
            "body: role: may not be null",
            details=[{"field": "role", "location": "body", "message": "may not be null"}],
        )
    new_role = changes.get("role", member.role)
    if member.role == "owner" or new_role == "owner":
        _check_owner_grant(actor, "owner")
    if member.role == "owner" and new_role != "owner":
        await _check_not_last_owner(session, actor.org_id)
    await _check_team(session, actor.org_id, changes.get("team_id"))
    return await members.update_member(session, member, changes)


async def remove(session: AsyncSession, actor: Principal, member: OrganizationMember) -> None:
    if member.role == "owner":
        _check_owner_grant(actor, "owner")
        await _check_not_last_owner(session, actor.org_id)
    await members.delete_member(session, member)
    # Their tokens already stop working (membership is read on every request); revoking
    # the logins makes the refresh tokens say so too.
    await refresh_tokens.revoke_user_sessions(session, actor.org_id, member.user_id, utcnow())


async def check_can_reset(
    session: AsyncSession, actor: Principal, member: OrganizationMember
) -> User:
    """The member's user, when ``actor`` may issue them a password reset."""
    if member.role == "owner":
        _check_owner_grant(actor, "owner")
    user = await users.get_user(session, member.user_id)
    assert user is not None, "a member's user is visible in its org"
    return user


async def to_out(
    session: AsyncSession, member: OrganizationMember, user: User | None = None
) -> MemberOut:
    user = user or await users.get_user(session, member.user_id)
    assert user is not None, "a member's user is visible in its org"
    return from_row(MemberOut, member, email=user.email, display_name=user.display_name)


def _check_owner_grant(actor: Principal, role: str) -> None:
    if role == "owner" and not (actor.kind == "user" and actor.role == "owner"):
        raise ForbiddenError("only an owner may grant, change or remove the owner role")


async def _check_not_last_owner(session: AsyncSession, org_id: uuid.UUID) -> None:
    if await members.count_owners(session, org_id) <= 1:
        raise ConflictError(
            "the last owner cannot be removed or demoted; make another member owner first",
            code="last_owner",
        )


async def _check_team(session: AsyncSession, org_id: uuid.UUID, team_id: uuid.UUID | None) -> None:
    if team_id is not None and await teams.get_team(session, org_id, team_id) is None:
        raise ValidationFailedError(
            "body: team_id: no such team",
            details=[{"field": "team_id", "location": "body", "message": "no such team"}],
        )
