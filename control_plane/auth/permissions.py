"""The permission table: the one place that decides who may call what.

Every route in ``control_plane.routes`` names one permission (or none, for the public auth
and health routes). A user is allowed when their role is in the permission's roles; an API
key when it holds a scope that grants the permission (``admin`` implies ``read``). Row-level
rules that depend on the target (a team_lead touches only its own team's agents) live in the
services, on top of this table. A new resource adds its permissions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from control_plane.auth.principal import Principal, Role, Scope

ALL_ROLES: frozenset[Role] = frozenset({"owner", "admin", "team_lead", "member", "viewer"})
ADMINS: frozenset[Role] = frozenset({"owner", "admin"})
MEMBERS_AND_UP: frozenset[Role] = frozenset({"owner", "admin", "team_lead", "member"})

# Scopes implied by a scope a key holds.
SCOPE_IMPLIES: dict[Scope, frozenset[Scope]] = {
    "admin": frozenset({"admin", "read"}),
    "read": frozenset({"read"}),
    "ingest": frozenset({"ingest"}),
    # A shared proxy's credential: ingests for its own org and, record by record, for the org
    # of the agent key it verified (control_plane/ingest/any_org.py).
    "ingest:any-org": frozenset({"ingest"}),
}


class Permission(StrEnum):
    ORG_READ = "org:read"
    ORG_WRITE = "org:write"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    TEAMS_READ = "teams:read"
    TEAMS_WRITE = "teams:write"
    AGENTS_READ = "agents:read"
    AGENTS_WRITE = "agents:write"
    API_KEYS_READ = "api_keys:read"
    API_KEYS_WRITE = "api_keys:write"
    AUDIT_READ = "audit:read"
    INGEST_WRITE = "ingest:write"
    RUNS_READ = "runs:read"
    COSTS_READ = "costs:read"
    EMERGENCY_READ = "emergency:read"
    EMERGENCY_WRITE = "emergency:write"
    PROXIES_HEARTBEAT = "proxies:heartbeat"
    BUDGETS_READ = "budgets:read"
    BUDGETS_WRITE = "budgets:write"
    ALERTS_READ = "alerts:read"
    ALERTS_WRITE = "alerts:write"
    REPORTS_READ = "reports:read"
    PRICES_READ = "prices:read"
    PRICES_WRITE = "prices:write"
    POLICIES_READ = "policies:read"
    POLICIES_WRITE = "policies:write"
    APPROVALS_READ = "approvals:read"
    APPROVALS_DECIDE = "approvals:decide"
    APPROVALS_REQUEST = "approvals:request"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    scope: Scope | None  # the API-key scope that grants it; None: users only


PERMISSIONS: dict[Permission, Rule] = {
    Permission.ORG_READ: Rule(ALL_ROLES, "read"),
    Permission.ORG_WRITE: Rule(ADMINS, "admin"),
    # Viewers see the registry, not who is in the org.
    Permission.MEMBERS_READ: Rule(MEMBERS_AND_UP, "read"),
    Permission.MEMBERS_WRITE: Rule(ADMINS, "admin"),
    Permission.TEAMS_READ: Rule(ALL_ROLES, "read"),
    Permission.TEAMS_WRITE: Rule(ADMINS, "admin"),
    Permission.AGENTS_READ: Rule(ALL_ROLES, "read"),
    # team_lead: only agents of its own team (checked in services.agents).
    Permission.AGENTS_WRITE: Rule(ADMINS | {"team_lead"}, "admin"),
    Permission.API_KEYS_READ: Rule(ADMINS, "admin"),
    Permission.API_KEYS_WRITE: Rule(ADMINS, "admin"),
    Permission.AUDIT_READ: Rule(ADMINS, "admin"),
    # Records come from proxies and SDKs with an ingest key; no user ingests.
    Permission.INGEST_WRITE: Rule(frozenset(), "ingest"),
    Permission.RUNS_READ: Rule(ALL_ROLES, "read"),
    Permission.COSTS_READ: Rule(ALL_ROLES, "read"),
    Permission.EMERGENCY_READ: Rule(ALL_ROLES, "read"),
    # team_lead: only its own team and its team's agents (checked in services.emergency).
    Permission.EMERGENCY_WRITE: Rule(ADMINS | {"team_lead"}, "admin"),
    # Proxies only, with their ingest key; no user reports heartbeats.
    Permission.PROXIES_HEARTBEAT: Rule(frozenset(), "ingest"),
    Permission.BUDGETS_READ: Rule(ALL_ROLES, "read"),
    Permission.BUDGETS_WRITE: Rule(ADMINS, "admin"),
    # Channels hold webhook secrets and recipients: admins only, reading included.
    Permission.ALERTS_READ: Rule(ADMINS, "admin"),
    Permission.ALERTS_WRITE: Rule(ADMINS, "admin"),
    # Finance reads cost reports, often with a viewer login or a read key.
    Permission.REPORTS_READ: Rule(ALL_ROLES, "read"),
    Permission.PRICES_READ: Rule(ALL_ROLES, "read"),
    # Overrides and re-pricing change every cost figure of the org.
    Permission.PRICES_WRITE: Rule(ADMINS, "admin"),
    # Everyone may see which rules govern their agents; only admins change them.
    Permission.POLICIES_READ: Rule(ALL_ROLES, "read"),
    Permission.POLICIES_WRITE: Rule(ADMINS, "admin"),
    # Held calls are visible to all; the policy narrows who decides (roles or named members,
    # never the member whose key made the call), so any non-viewer member may be one.
    Permission.APPROVALS_READ: Rule(ALL_ROLES, "read"),
    Permission.APPROVALS_DECIDE: Rule(ALL_ROLES - {"viewer"}, "admin"),
    # Proxies store the requests of the calls they hold (ingest keys, like heartbeats).
    Permission.APPROVALS_REQUEST: Rule(frozenset(), "ingest"),
}


def is_allowed(principal: Principal, permission: Permission) -> bool:
    rule = PERMISSIONS[permission]
    if principal.kind == "user":
        return principal.role in rule.roles
    if rule.scope is None:
        return False
    return any(rule.scope in SCOPE_IMPLIES[scope] for scope in principal.scopes)
