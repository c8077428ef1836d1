"""/org-members: invite (with a single-use token), list, change role, remove, reset a password."""

from __future__ import annotations

from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.schemas.members import (
    MemberInvite,
    MemberInvited,
    MemberOut,
    MemberPage,
    MemberQuery,
    MemberUpdate,
    PasswordResetIssued,
)
from control_plane.services import account_mail, credentials
from control_plane.services import members as rules
from control_plane.services.audit import snapshot
from control_plane.store import members, orgs, users

FIELDS = ("user_id", "role", "team_id")


async def invite_member(req: ApiRequest) -> MemberInvited:
    body = req.body_as(MemberInvite)
    auth = req.app_get(app_keys.SETTINGS).control_plane.auth
    async with req.transaction() as session:
        out = await rules.invite(session, req.principal, body)
        after = {
            "email": out.email,
            "role": out.role,
            "team_id": str(out.team_id) if out.team_id else None,
        }
        await req.audit(session, "member.invite", "member", out.id, after=after)
        user = await users.get_user(session, out.user_id)
        token = expires = None
        if user is not None and user.password_hash is None:
            token, expires = await credentials.issue_account_token(
                session, req.principal.org_id, user.id, "invite", auth.invite_ttl_seconds
            )
        mail = await account_mail.has_email_channel(session, req.principal.org_id)
        org = await orgs.get_org(session, req.principal.org_id)
    emailed = False
    if token is not None and mail and org is not None:
        subject, text = account_mail.invitation_text(
            org.name, token, auth.invite_ttl_seconds // 3600
        )
        cp = req.app_get(app_keys.SETTINGS).control_plane
        emailed = await account_mail.send_account_mail(cp, out.email, subject, text)
    return MemberInvited(
        **out.model_dump(), invite_token=token, invite_expires_at=expires, invite_emailed=emailed
    )


async def issue_password_reset(req: ApiRequest) -> PasswordResetIssued:
    cp = req.app_get(app_keys.SETTINGS).control_plane
    async with req.transaction() as session:
        member = await rules.get(session, req.principal.org_id, req.path_id("member_id"))
        user = await rules.check_can_reset(session, req.principal, member)
        await credentials.check_sole_org(session, user.email, req.principal.org_id)
        token, expires = await credentials.issue_account_token(
            session, req.principal.org_id, user.id, "admin_reset", cp.auth.reset_ttl_seconds
        )
        await req.audit(session, "member.password_reset", "member", member.id)
        mail = await account_mail.has_email_channel(session, req.principal.org_id)
    emailed = False
    if mail:
        subject, text = account_mail.reset_text(token, cp.auth.reset_ttl_seconds // 60)
        emailed = await account_mail.send_account_mail(cp, user.email, subject, text)
    return PasswordResetIssued(token=token, expires_at=expires, emailed=emailed)


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
