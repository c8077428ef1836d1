"""Who may decide an approval, and the verdict's trip to the proxies."""

from __future__ import annotations

import logging
import uuid

from agentops.wire.approvals import ApprovalVerdict
from control_plane.auth.principal import Principal
from control_plane.services.control_state import ControlStateBus
from control_plane.store import policies
from control_plane.store.tables import ApprovalRequest
from control_plane.store.types import AsyncSession
from policies.schema import DEFAULT_APPROVERS

log = logging.getLogger(__name__)


async def who_may_approve(
    session: AsyncSession, org_id: uuid.UUID, policy_id: str
) -> tuple[list[str], list[str]]:
    """(roles, member e-mails) from the policy; its defaults when it is gone (deleted since
    the proxy's snapshot), so a request never becomes one nobody may decide."""
    try:
        row = await policies.get_policy(session, org_id, uuid.UUID(policy_id))
    except ValueError:
        row = None
    approval = (row.spec.get("approval") if row is not None else None) or {}
    roles = list(approval.get("roles") or DEFAULT_APPROVERS)
    members = [str(m).lower() for m in approval.get("members") or []]
    return roles, members


def approver_refusal(row: ApprovalRequest, principal: Principal) -> str | None:
    """Why ``principal`` may not decide ``row``, or None when they may."""
    if principal.kind != "user" or principal.user_id is None:
        return "approvals are decided by a signed-in member, not an API key"
    if row.requester_user_id is not None and principal.user_id == row.requester_user_id:
        return "the call came with your own API key: another approver must decide it"
    if principal.role in row.approver_roles:
        return None
    if principal.email is not None and principal.email.lower() in row.approver_members:
        return None
    who = ", ".join(row.approver_roles + row.approver_members) or "nobody"
    return f"policy {row.policy_name!r} names its approvers ({who}); you are not one of them"


async def publish_verdict(bus: ControlStateBus, verdict: ApprovalVerdict) -> None:
    """Logged, not raised: the decision is committed; a proxy that never hears it times the
    call out as denied (an approval then needs the agent to retry)."""
    if bus.verdicts is None:
        return
    try:
        await bus.verdicts.publish_verdict(verdict)
    except Exception:
        log.exception("approval verdict publish failed", extra={"approval": verdict.id})
