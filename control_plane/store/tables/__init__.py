"""All control-plane tables on one metadata, a module per table.

Later issues add a module here and import it below, so ``Base.metadata`` (used by the
migration drift test) always knows every table.
"""

from control_plane.store.tables._base import Base, JSONType, Money, UTCDateTime, utcnow
from control_plane.store.tables.account_tokens import AccountToken
from control_plane.store.tables.agents import AGENT_STATUSES, Agent
from control_plane.store.tables.alert_deliveries import AlertDelivery
from control_plane.store.tables.api_keys import ApiKey
from control_plane.store.tables.approvals import ApprovalRequest
from control_plane.store.tables.audit_logs import AuditLog
from control_plane.store.tables.budgets import Budget, BudgetAlertEvent
from control_plane.store.tables.calls import Call, ExactMoney
from control_plane.store.tables.control_rules import ControlRule, ControlState
from control_plane.store.tables.cost_corrections import CostCorrection
from control_plane.store.tables.events import Event
from control_plane.store.tables.job_runs import JobRun
from control_plane.store.tables.members import ROLES, OrganizationMember
from control_plane.store.tables.notification_channels import NotificationChannel
from control_plane.store.tables.organizations import Organization
from control_plane.store.tables.policies import PolicyRow
from control_plane.store.tables.price_overrides import PriceOverrideRow
from control_plane.store.tables.proxy_heartbeats import ProxyHeartbeat
from control_plane.store.tables.refresh_tokens import RefreshToken
from control_plane.store.tables.rollups import CostRollup, CostRollupDaily
from control_plane.store.tables.runs import Run
from control_plane.store.tables.teams import Team
from control_plane.store.tables.users import User

__all__ = [
    "AGENT_STATUSES",
    "ROLES",
    "AccountToken",
    "Agent",
    "AlertDelivery",
    "ApiKey",
    "ApprovalRequest",
    "AuditLog",
    "Base",
    "Budget",
    "BudgetAlertEvent",
    "Call",
    "ControlRule",
    "ControlState",
    "CostCorrection",
    "CostRollup",
    "CostRollupDaily",
    "Event",
    "ExactMoney",
    "JSONType",
    "JobRun",
    "Money",
    "NotificationChannel",
    "Organization",
    "OrganizationMember",
    "PolicyRow",
    "PriceOverrideRow",
    "ProxyHeartbeat",
    "RefreshToken",
    "Run",
    "Team",
    "UTCDateTime",
    "User",
    "utcnow",
]
