"""/approvals: held calls waiting for an approver, and their decisions (audited, then published
on the control-state bus so whichever proxy holds the call proceeds or refuses at once).

``POST /proxies/approvals`` is the proxy's side (ingest key): it stores the request, with who
may approve copied from the policy, and pushes it to the org's notification channels.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agentops.wire.approvals import ApprovalAsk, ApprovalVerdict
from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.errors import ConflictError, ForbiddenError, found
from control_plane.schemas.approvals import (
    ApprovalAsked,
    ApprovalOut,
    ApprovalPage,
    ApprovalQuery,
    ApproveIn,
    DenyIn,
)
from control_plane.services import alerts, topups
from control_plane.services.approvals import approver_refusal, publish_verdict, who_may_approve
from control_plane.store import api_keys, orgs
from control_plane.store import approvals as store
from control_plane.store.tables import ApprovalRequest, utcnow


def to_out(row: ApprovalRequest) -> ApprovalOut:
    status = row.status
    if status == "pending" and row.expires_at <= utcnow():
        status = "expired"
    return ApprovalOut.model_validate(
        {
            "id": row.id, "status": status, "agent": row.agent, "run_id": row.run_id,
            "provider": row.provider, "model": row.model, "policy_id": row.policy_id,
            "policy_name": row.policy_name, "reason": row.reason,
            "estimated_cost_usd": row.estimated_cost_usd, "excerpt": row.excerpt,
            "proxy_id": row.proxy_id, "approver_roles": row.approver_roles,
            "approver_members": row.approver_members, "requested_at": row.requested_at,
            "expires_at": row.expires_at, "coverage": row.coverage,
            "decided_by": row.decided_by, "decided_at": row.decided_at,
            "decision_reason": row.decision_reason,
            "topup_budget_id": None if row.topup_budget_id is None else str(row.topup_budget_id),
            "topup_usd": row.topup_usd, "topup_seconds": row.topup_seconds,
            "topup_until": row.topup_until,
        }
    )  # fmt: skip


async def ask(req: ApiRequest) -> ApprovalAsked:
    body = req.body_as(ApprovalAsk)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        if await store.exists(session, body.id):
            raise ConflictError(f"approval {body.id} exists")
        roles, members = await who_may_approve(session, org_id, body.policy_id)
        requester = None
        if body.key_id:
            key = await api_keys.get_api_key_by_public_id(session, org_id, body.key_id)
            requester = key.created_by if key is not None else None
        row = await store.create_request(
            session,
            ApprovalRequest(
                id=body.id, org_id=org_id, agent=body.agent, run_id=body.run_id,
                provider=body.provider, model=body.model, policy_id=body.policy_id,
                policy_name=body.policy_name, reason=body.reason,
                estimated_cost_usd=body.estimated_cost_usd, excerpt=body.excerpt,
                key_id=body.key_id, requester_user_id=requester, proxy_id=body.proxy_id,
                approver_roles=roles, approver_members=members, status="pending",
                requested_at=utcnow(),
                expires_at=utcnow() + timedelta(seconds=body.timeout_seconds),
            ),
        )  # fmt: skip
        await alerts.enqueue(session, org_id, "approval.requested", _alert(row))
    return ApprovalAsked(id=row.id, expires_at=row.expires_at)


async def list_approvals(req: ApiRequest) -> ApprovalPage:
    query = req.query_as(ApprovalQuery)
    async with req.transaction() as session:
        rows = await store.list_requests(
            session, req.principal.org_id, status=query.status, limit=query.limit
        )
        return ApprovalPage(items=[to_out(row) for row in rows])


async def get_approval(req: ApiRequest) -> ApprovalOut:
    async with req.transaction() as session:
        return to_out(await _find(session, req))


async def approve(req: ApiRequest) -> ApprovalOut:
    body = req.body_as(ApproveIn)
    return await _decide(req, "approved", body.reason, "run" if body.for_run else "call")


async def deny(req: ApiRequest) -> ApprovalOut:
    return await _decide(req, "denied", req.body_as(DenyIn).reason, None)


async def _decide(req: ApiRequest, status: str, reason: str, coverage: str | None) -> ApprovalOut:
    principal = req.principal
    now = utcnow()
    async with req.transaction() as session:
        row = await _find(session, req)
        refusal = approver_refusal(row, principal)
        if refusal is not None:
            raise ForbiddenError(refusal, code="not_an_approver")
        decided = await store.decide(
            session, principal.org_id, row.id, status=status, coverage=coverage,
            decided_by=principal.actor_label, decided_by_user_id=principal.user_id,
            reason=reason, now=now,
        )  # fmt: skip
        if not decided:
            current = to_out(await _find(session, req, fresh=True)).status
            raise ConflictError(f"approval {row.id} is {current}; it can no longer be decided")
        await session.refresh(row)
        granted = await topups.granted(session, principal.org_id, row, now)
        await req.audit(
            session, f"approval.{'approve' if status == 'approved' else 'deny'}", "approval",
            row.id, after={"reason": reason, "coverage": coverage, "agent": row.agent,
                           "run_id": row.run_id, "policy_id": row.policy_id}
            | topups.audited(row),
        )  # fmt: skip
        org = await orgs.get_org(session, principal.org_id)
        assert org is not None, "the caller's org exists"
        out = to_out(row)
    if row.topup_budget_id is not None:
        await topups.publish(req, granted)  # no proxy holds a call for a top-up
        return out
    verdict = ApprovalVerdict(
        org=org.slug, id=row.id, verdict="approved" if status == "approved" else "denied",
        coverage="run" if coverage == "run" else "call", run_id=row.run_id,
        policy_id=row.policy_id, reason=reason, decided_by=principal.actor_label or "",
    )  # fmt: skip
    await publish_verdict(req.app_get(app_keys.STATE_BUS), verdict)
    return out


async def _find(session: Any, req: ApiRequest, *, fresh: bool = False) -> ApprovalRequest:
    raw = req.request.match_info["approval_id"]
    if fresh:
        session.expire_all()
    row = found(
        await store.get_request(session, req.principal.org_id, raw), f"no such approval: {raw!r}"
    )
    return row


def _alert(row: ApprovalRequest) -> dict[str, Any]:
    cost = "unpriced" if row.estimated_cost_usd is None else f"${row.estimated_cost_usd:.4f}"
    return {
        "message": f"Approval needed: agent {row.agent} (run {row.run_id}) calls {row.model} "
        f"held by policy {row.policy_name!r}; estimated {cost}. Approve or deny: "
        f"agentops approvals approve {row.id} --reason ...",
        "approval_id": row.id,
        "agent": row.agent,
        "run_id": row.run_id,
        "model": row.model,
        "policy": row.policy_name,
        "estimated_cost_usd": None
        if row.estimated_cost_usd is None
        else str(row.estimated_cost_usd),
        "expires_at": row.expires_at.isoformat(),
    }
