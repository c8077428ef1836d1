"""The whole URL map. Each API route names its permission, models and handler; adding a
resource is a module in ``control_plane/api/``, rows here and in the permission table, and a
migration."""

from __future__ import annotations

from aiohttp import web

from agentops.wire.approvals import ApprovalAsk
from agentops.wire.ingest import IngestBatchResponse
from control_plane.api import (
    agents,
    alerts,
    api_keys,
    approvals,
    audit_logs,
    auth,
    budgets,
    calls,
    costs,
    dashboard,
    emergency,
    events,
    ingest,
    members,
    ops,
    orgs,
    policies,
    prices,
    proxies,
    reconcile,
    reports,
    runs,
    simulation,
    teams,
    topups,
)
from control_plane.auth.permissions import Permission as P
from control_plane.endpoint import Route, make_handler
from control_plane.openapi import openapi_handler
from control_plane.schemas import agents as ag
from control_plane.schemas import alerts as al
from control_plane.schemas import api_keys as ak
from control_plane.schemas import approvals as ap
from control_plane.schemas import auth as au
from control_plane.schemas import budgets as bg
from control_plane.schemas import calls as cl
from control_plane.schemas import costs as cs
from control_plane.schemas import dashboard as db
from control_plane.schemas import emergency as em
from control_plane.schemas import members as mb
from control_plane.schemas import orgs as og
from control_plane.schemas import policies as po
from control_plane.schemas import prices as pr
from control_plane.schemas import reconcile as rcn
from control_plane.schemas import records as rc
from control_plane.schemas import reports as rp
from control_plane.schemas import runs as rn
from control_plane.schemas import teams as tm
from control_plane.schemas.audit import AuditLogPage, AuditQuery
from control_plane.schemas.common import PageQuery

API_PREFIX = "/api/v1"

ROUTES: tuple[Route, ...] = (
    # auth (public)
    Route("POST", "/auth/signup", auth.signup, None, "Create an org and its owner, then log in (same answer for any address)", "auth",
          body=au.SignupRequest, response=au.Accepted, status=202),
    Route("POST", "/auth/login", auth.login, None, "Exchange e-mail and password for tokens", "auth",
          body=au.LoginRequest, response=au.TokenResponse),
    Route("POST", "/auth/refresh-token", auth.refresh_token, None, "Rotate a refresh token", "auth",
          body=au.RefreshRequest, response=au.TokenResponse),
    Route("POST", "/auth/logout", auth.logout, None, "Revoke the login of a refresh token", "auth",
          body=au.RefreshRequest, status=204),
    Route("POST", "/auth/change-password", auth.change_password, P.ORG_READ, "Change your password (ends your other logins)", "auth",
          body=au.ChangePasswordRequest, response=au.TokenResponse),
    Route("POST", "/auth/accept-invite", auth.accept_invite, None, "Set your password with an invitation token", "auth",
          body=au.AcceptInviteRequest, response=au.TokenResponse),
    Route("POST", "/auth/request-password-reset", auth.request_password_reset, None, "E-mail a password-reset token (same answer for any address)", "auth",
          body=au.PasswordResetRequest, response=au.Accepted, status=202),
    Route("POST", "/auth/reset-password", auth.reset_password, None, "Set a new password with a reset token (ends every login)", "auth",
          body=au.ResetPasswordRequest, response=au.TokenResponse),
    # org
    Route("GET", "/orgs/profile", orgs.get_profile, P.ORG_READ, "Show the caller's org", "orgs",
          response=og.OrgOut),
    Route("PATCH", "/orgs/profile", orgs.update_profile, P.ORG_WRITE, "Update the org profile", "orgs",
          body=og.OrgUpdate, response=og.OrgOut),
    # members
    Route("POST", "/org-members", members.invite_member, P.MEMBERS_WRITE, "Invite a member by e-mail (invitation token shown once)", "members",
          body=mb.MemberInvite, response=mb.MemberInvited, status=201),
    Route("GET", "/org-members", members.list_members, P.MEMBERS_READ, "List members", "members",
          query=mb.MemberQuery, response=mb.MemberPage),
    Route("PATCH", "/org-members/{member_id}", members.update_member, P.MEMBERS_WRITE, "Change a member's role or team", "members",
          body=mb.MemberUpdate, response=mb.MemberOut),
    Route("DELETE", "/org-members/{member_id}", members.delete_member, P.MEMBERS_WRITE, "Remove a member", "members",
          status=204),
    Route("POST", "/org-members/{member_id}/password-reset", members.issue_password_reset, P.MEMBERS_WRITE, "Issue a member a password-reset token (shown once)", "members",
          response=mb.PasswordResetIssued, status=201),
    # teams
    Route("POST", "/teams", teams.create_team, P.TEAMS_WRITE, "Create a team", "teams",
          body=tm.TeamCreate, response=tm.TeamOut, status=201),
    Route("GET", "/teams", teams.list_teams, P.TEAMS_READ, "List teams", "teams",
          query=PageQuery, response=tm.TeamPage),
    Route("GET", "/teams/{team_id}", teams.get_team, P.TEAMS_READ, "Show a team", "teams",
          response=tm.TeamOut),
    Route("PATCH", "/teams/{team_id}", teams.update_team, P.TEAMS_WRITE, "Rename or describe a team", "teams",
          body=tm.TeamUpdate, response=tm.TeamOut),
    Route("DELETE", "/teams/{team_id}", teams.delete_team, P.TEAMS_WRITE, "Delete a team", "teams",
          status=204),
    # API keys
    Route("POST", "/api-keys", api_keys.create_api_key, P.API_KEYS_WRITE, "Create an API key (shown once)", "api-keys",
          body=ak.ApiKeyCreate, response=ak.ApiKeyCreated, status=201),
    Route("GET", "/api-keys", api_keys.list_api_keys, P.API_KEYS_READ, "List API keys", "api-keys",
          query=ak.ApiKeyQuery, response=ak.ApiKeyPage),
    Route("DELETE", "/api-keys/{key_id}", api_keys.revoke_api_key, P.API_KEYS_WRITE, "Revoke an API key", "api-keys",
          status=204),
    # agents
    Route("POST", "/agents", agents.create_agent, P.AGENTS_WRITE, "Register an agent", "agents",
          body=ag.AgentCreate, response=ag.AgentOut, status=201),
    Route("GET", "/agents", agents.list_agents, P.AGENTS_READ, "List agents", "agents",
          query=ag.AgentQuery, response=ag.AgentPage),
    Route("GET", "/agents/{agent_id}", agents.get_agent, P.AGENTS_READ, "Show an agent", "agents",
          response=ag.AgentOut),
    Route("PATCH", "/agents/{agent_id}", agents.update_agent, P.AGENTS_WRITE, "Update an agent", "agents",
          body=ag.AgentUpdate, response=ag.AgentOut),
    Route("DELETE", "/agents/{agent_id}", agents.delete_agent, P.AGENTS_WRITE, "Delete an agent", "agents",
          status=204),
    # audit
    Route("GET", "/audit-logs", audit_logs.list_entries, P.AUDIT_READ, "Read the audit log", "audit",
          query=AuditQuery, response=AuditLogPage),
    # ingestion (records from proxies and SDKs; the batch body is {"records": [CallRecord, ...]})
    Route("POST", "/ingest/batch", ingest.ingest_batch, P.INGEST_WRITE, "Store call records idempotently, one outcome per record", "ingest",
          response=IngestBatchResponse),
    Route("POST", "/ingest/run", ingest.ingest_run, P.INGEST_WRITE, "Store one run reported directly: its calls and events", "ingest",
          body=rc.IngestRunRequest, response=rc.IngestRunResponse),
    # runs, timeline, dashboard and costs (read from the store and the hourly rollups)
    Route("GET", "/runs", runs.list_runs, P.RUNS_READ, "List runs (filters, sort by start or cost)", "runs",
          query=rn.RunQuery, response=rn.RunPage),
    Route("GET", "/runs/{run_id}", runs.get_run, P.RUNS_READ, "Show a run (by id or run key) with its calls", "runs",
          response=rn.RunDetail),
    Route("POST", "/runs/{run_id}/resume", runs.resume_run, P.EMERGENCY_WRITE, "Lift a run's pause (a pause_run policy's) before it expires", "runs",
          body=rn.RunResumeRequest, response=rn.RunResumed),
    Route("GET", "/calls", calls.list_call_records, P.RUNS_READ, "List call records (filters as for runs, newest first)", "calls",
          query=cl.CallQuery, response=cl.CallPage),
    Route("GET", "/calls/{call_id}", calls.get_call_record, P.RUNS_READ, "One call with everything stored: tokens, cost breakdown, timings", "calls",
          response=cl.CallDetail),
    Route("GET", "/events/{run_id}", events.list_run_events, P.RUNS_READ, "A run's timeline, in order", "runs",
          response=rn.EventPage),
    Route("GET", "/dashboard/home", dashboard.home, P.COSTS_READ, "KPIs, top agents and models, trend", "dashboard",
          query=db.DashboardQuery, response=db.DashboardHome),
    Route("GET", "/dashboard/agent/{agent_id}", dashboard.agent_page, P.COSTS_READ, "One agent's KPIs, trend and recent runs", "dashboard",
          query=db.DashboardQuery, response=db.DashboardAgent),
    Route("GET", "/costs/summary", costs.cost_summary, P.COSTS_READ, "Costs grouped by org, team, agent, model, provider or day", "costs",
          query=cs.CostSummaryQuery, response=cs.CostSummary),
    Route("GET", "/costs/by-agent/{agent_id}", costs.cost_by_agent, P.COSTS_READ, "One agent's costs by model and day", "costs",
          query=cs.TimeRange, response=cs.CostBreakdown),
    Route("GET", "/costs/by-team/{name}", costs.cost_by_team, P.COSTS_READ, "One team's costs by model and day", "costs",
          query=cs.TimeRange, response=cs.CostBreakdown),
    Route("POST", "/costs/reconcile", reconcile.reconcile_costs, P.REPORTS_READ, "Compare a provider's usage/cost export with the captured calls, per day and model", "costs",
          body=rcn.ReconcileRequest, response=rcn.ReconcileResult),
    # emergency controls
    Route("POST", "/emergency/kill", emergency.kill, P.EMERGENCY_WRITE, "Kill: refuse new calls and cut live streams", "emergency",
          body=em.EmergencyRequest, response=em.EmergencyResult),
    Route("POST", "/emergency/pause", emergency.pause, P.EMERGENCY_WRITE, "Pause: refuse new calls, let live ones finish", "emergency",
          body=em.EmergencyRequest, response=em.EmergencyResult),
    Route("POST", "/emergency/resume", emergency.resume, P.EMERGENCY_WRITE, "Lift a kill or pause", "emergency",
          body=em.ResumeRequest, response=em.EmergencyResult),
    Route("GET", "/emergency", emergency.status, P.EMERGENCY_READ, "What is in force, and which proxies applied it", "emergency",
          response=em.EmergencyStatus),
    Route("POST", "/proxies/heartbeat", proxies.heartbeat, P.PROXIES_HEARTBEAT, "A proxy reports the state versions it holds", "proxies",
          body=em.HeartbeatIn, response=em.HeartbeatOut),
    # budgets
    Route("POST", "/budgets", budgets.create_budget, P.BUDGETS_WRITE, "Create a budget", "budgets",
          body=bg.BudgetCreate, response=bg.BudgetOut, status=201),
    Route("GET", "/budgets", budgets.list_budgets, P.BUDGETS_READ, "List budgets with spend, window and forecast", "budgets",
          query=bg.BudgetQuery, response=bg.BudgetPage),
    Route("GET", "/budgets/{budget_id}", budgets.get_budget, P.BUDGETS_READ, "Show a budget", "budgets",
          response=bg.BudgetOut),
    Route("PATCH", "/budgets/{budget_id}", budgets.update_budget, P.BUDGETS_WRITE, "Update a budget", "budgets",
          body=bg.BudgetUpdate, response=bg.BudgetOut),
    Route("DELETE", "/budgets/{budget_id}", budgets.delete_budget, P.BUDGETS_WRITE, "Delete a budget", "budgets",
          status=204),
    Route("POST", "/budgets/{budget_id}/topups", topups.request_topup, P.BUDGETS_READ, "Ask for a temporary increase of a hard budget (decided in the approvals queue)", "budgets",
          body=ap.TopUpIn, response=ap.ApprovalOut, status=201),
    # policies
    Route("POST", "/policies", policies.create_policy, P.POLICIES_WRITE, "Create a policy (the document `agentops policies apply` sends)", "policies",
          body=po.Policy, response=po.PolicyOut, status=201),
    Route("GET", "/policies", policies.list_policies, P.POLICIES_READ, "List policies", "policies",
          query=po.PolicyQuery, response=po.PolicyPage),
    Route("POST", "/policies/simulate", simulation.simulate_policies, P.POLICIES_READ, "Replay stored calls through draft policies (nothing is saved)", "policies",
          body=po.SimulateRequest, response=po.SimulationOut),
    Route("GET", "/policies/{policy}", policies.get_policy, P.POLICIES_READ, "Show a policy (by id or name)", "policies",
          response=po.PolicyOut),
    Route("PATCH", "/policies/{policy}", policies.update_policy, P.POLICIES_WRITE, "Change fields of a policy (a new revision)", "policies",
          body=po.PolicyPatch, response=po.PolicyOut),
    Route("DELETE", "/policies/{policy}", policies.delete_policy, P.POLICIES_WRITE, "Delete a policy", "policies",
          status=204),
    # approvals (calls held by require_approval policies)
    Route("POST", "/proxies/approvals", approvals.ask, P.APPROVALS_REQUEST, "A proxy stores the approval request of a call it holds", "approvals",
          body=ApprovalAsk, response=ap.ApprovalAsked, status=201),
    Route("GET", "/approvals", approvals.list_approvals, P.APPROVALS_READ, "List approval requests, newest first", "approvals",
          query=ap.ApprovalQuery, response=ap.ApprovalPage),
    Route("GET", "/approvals/{approval_id}", approvals.get_approval, P.APPROVALS_READ, "Show an approval request", "approvals",
          response=ap.ApprovalOut),
    Route("POST", "/approvals/{approval_id}/approve", approvals.approve, P.APPROVALS_DECIDE, "Approve a held call (or the rest of its run); the proxy holding it proceeds", "approvals",
          body=ap.ApproveIn, response=ap.ApprovalOut),
    Route("POST", "/approvals/{approval_id}/deny", approvals.deny, P.APPROVALS_DECIDE, "Deny a held call; the proxy holding it refuses it with the reason", "approvals",
          body=ap.DenyIn, response=ap.ApprovalOut),
    # alerts
    Route("POST", "/alerts/channels", alerts.create_channel, P.ALERTS_WRITE, "Add a notification channel (webhook secret shown once)", "alerts",
          body=al.ChannelCreate, response=al.ChannelCreated, status=201),
    Route("GET", "/alerts/channels", alerts.list_channels, P.ALERTS_READ, "List notification channels", "alerts",
          query=PageQuery, response=al.ChannelPage),
    Route("GET", "/alerts/channels/{channel_id}", alerts.get_channel, P.ALERTS_READ, "Show a channel", "alerts",
          response=al.ChannelOut),
    Route("PATCH", "/alerts/channels/{channel_id}", alerts.update_channel, P.ALERTS_WRITE, "Update a channel or rotate its secret", "alerts",
          body=al.ChannelUpdate, response=al.ChannelCreated),
    Route("DELETE", "/alerts/channels/{channel_id}", alerts.delete_channel, P.ALERTS_WRITE, "Delete a channel", "alerts",
          status=204),
    Route("POST", "/alerts/channels/{channel_id}/test", alerts.test_channel, P.ALERTS_WRITE, "Queue a test notification to this channel", "alerts",
          response=al.DeliveryOut, status=202),
    Route("GET", "/alerts/deliveries", alerts.list_deliveries, P.ALERTS_READ, "List alert deliveries (pending, delivered, dead)", "alerts",
          query=al.DeliveryQuery, response=al.DeliveryPage),
    Route("POST", "/alerts/deliveries/{delivery_id}/resend", alerts.resend_delivery, P.ALERTS_WRITE, "Send a delivery again", "alerts",
          response=al.DeliveryOut),
    # reports
    Route("GET", "/reports/costs", reports.cost_report, P.REPORTS_READ, "Costs grouped by org/team/agent/model/provider/day/week/month; JSON, CSV or FOCUS", "reports",
          query=rp.CostReportQuery, response=rp.CostReport, other_media_types=("text/csv",)),
    # prices: org overrides, unpriced models, re-pricing a range
    Route("GET", "/prices/overrides", prices.list_overrides, P.PRICES_READ, "List the org's price overrides in force", "prices",
          response=pr.OverrideList),
    Route("POST", "/prices/overrides", prices.set_override, P.PRICES_WRITE, "Set a model's price for the org (new override version)", "prices",
          body=pr.OverrideCreate, response=pr.OverrideOut, status=201),
    Route("DELETE", "/prices/overrides", prices.delete_override, P.PRICES_WRITE, "Remove a model's override (new override version)", "prices",
          query=pr.OverrideDeleteQuery, status=204),
    Route("GET", "/prices/unpriced", prices.list_unpriced, P.PRICES_READ, "Models seen in calls without a price, with call counts", "prices",
          query=pr.UnpricedQuery, response=pr.UnpricedModels),
    Route("POST", "/costs/reprice", prices.reprice_costs, P.PRICES_WRITE, "Re-price the calls of a range; records each corrected cost", "prices",
          body=pr.RepriceRequest, response=pr.RepriceResult),
)  # fmt: skip


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, API_PREFIX + route.path, make_handler(route))
    app.router.add_get(API_PREFIX + "/openapi.json", openapi_handler(ROUTES, API_PREFIX))
    app.router.add_get("/healthz", ops.healthz)
    app.router.add_get("/readyz", ops.readyz)
    app.router.add_get("/metrics", ops.metrics)
