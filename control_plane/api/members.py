"""/org-members: invite, list, change role, remove."""

from __future__ import annotations

from control_plane.endpoint import ApiRequest
from control_plane.schemas.members import (
    MemberInvite,
    MemberOut,
    MemberPage,
    MemberQuery,
    MemberUpdate,
)
from control_plane.services import members as rules
from control_plane.services.audit import snapshot
from control_plane.store import members

FIELDS = ("user_id", "role", "team_id")


async def invite_member(req: ApiRequest) -> MemberOut:
    body = req.body_as(MemberInvite)
    async with req.transaction() as session:
        out = await rules.invite(session, req.principal, body)
        after = {
            "email": out.email,
            "role": out.role,
            "team_id": str(out.team_id) if out.team_id else None,
        }
        await req.audit(session, "member.invite", "member", out.id, after=after)
        return out


async def list_members(req: ApiRequest) -> MemberPage:
    query = req.query_as(MemberQuery)
    async with req.transaction() as session:
        page = await members.list_members(
            session, req.principal.org_id, role=query.role, cursor=query.cursor, limit=query.limit
        )
        items = [await rules.to_out(session, member, user) for member, user in page.items]
    return MemberPage(items=items, next_cursor=page.next_cursor)


async def update_member(req: ApiRequest) -> MemberOut:
    body = req.body_as(MemberUpdate)
    async with req.transaction() as session:
        member = await rules.get(session, req.principal.org_id, req.path_id("member_id"))
        before = snapshot(member, FIELDS)
        await rules.change(session, req.principal, member, body)
        await req.audit(
            session,
            "member.update",
            "member",
            member.id,
            before=before,
            after=snapshot(member, FIELDS),
        )
        return await rules.to_out(session, member)


async def delete_member(req: ApiRequest) -> None:
    async with req.transaction() as session:
        member = await rules.get(session, req.principal.org_id, req.path_id("member_id"))
        before = snapshot(member, FIELDS)
        await rules.remove(session, req.principal, member)
        await req.audit(session, "member.remove", "member", member.id, before=before)
