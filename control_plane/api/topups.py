"""POST /budgets/{budget_id}/topups: ask for a temporary increase of a hard budget. The
request joins the approval queue (``agentops approvals list``), goes to the org's notification
channels, and is decided like a held call, by an owner or admin who is not the requester."""

from __future__ import annotations

import math
import secrets
import uuid
from datetime import timedelta

from control_plane.api.approvals import to_out
from control_plane.endpoint import ApiRequest
from control_plane.errors import NotFoundError, ValidationFailedError
from control_plane.schemas.approvals import ApprovalOut, TopUpIn
from control_plane.services import alerts
from control_plane.services.topups import APPROVERS
from control_plane.store import api_keys, budgets
from control_plane.store import approvals as store
from control_plane.store.tables import ApprovalRequest, utcnow


async def request_topup(req: ApiRequest) -> ApprovalOut:
    body = req.body_as(TopUpIn)
    principal, raw = req.principal, req.request.match_info["budget_id"]
    now = utcnow()
    async with req.transaction() as session:
        try:
            budget = await budgets.get_budget(session, principal.org_id, uuid.UUID(raw))
        except ValueError:
            budget = None
        if budget is None:
            raise NotFoundError(f"no such budget: {raw!r}")
        if not budget.hard:
            raise ValidationFailedError(
                f"budget {budget.name!r} is soft: it refuses nothing, so there is nothing to top up",
                code="budget_not_hard",
            )
        requester = principal.user_id
        if principal.kind == "api_key" and principal.api_key_id is not None:
            key = await api_keys.get_api_key(session, principal.org_id, principal.api_key_id)
            requester = key.created_by if key is not None else None
        seconds = math.ceil(body.hours * 3600)
        row = await store.create_request(
            session,
            ApprovalRequest(
                id="top_" + secrets.token_hex(12), org_id=principal.org_id, agent=body.agent,
                run_id="-", provider="", model=None, policy_id=f"budget:{budget.id}",
                policy_name=budget.name[:100],
                reason=f"top-up of ${body.amount_usd} for {body.hours} h: {body.reason}",
                estimated_cost_usd=body.amount_usd, excerpt=None, key_id=None,
                requester_user_id=requester, proxy_id="", approver_roles=APPROVERS,
                approver_members=[], status="pending", requested_at=now,
                expires_at=now + timedelta(hours=body.wait_hours), topup_budget_id=budget.id,
                topup_usd=body.amount_usd, topup_seconds=seconds,
            ),
        )  # fmt: skip
        await req.audit(
            session, "budget.topup_request", "approval", row.id,
            after={"budget_id": str(budget.id), "amount_usd": str(body.amount_usd),
                   "seconds": seconds, "reason": body.reason, "agent": body.agent},
        )  # fmt: skip
        await alerts.enqueue(session, principal.org_id, "approval.requested", _alert(row))
        return to_out(row)


def _alert(row: ApprovalRequest) -> dict[str, object]:
    return {
        "message": f"Budget top-up requested: {row.reason} (budget {row.policy_name!r}, agent "
        f"{row.agent}). Approve or deny: agentops approvals approve {row.id} --reason ...",
        "approval_id": row.id,
        "budget": row.policy_name,
        "amount_usd": str(row.topup_usd),
        "seconds": row.topup_seconds,
        "expires_at": row.expires_at.isoformat(),
    }
