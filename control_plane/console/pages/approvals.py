"""Approvals and policies: held calls waiting for a decision (refreshed every few seconds by
htmx) with approve and deny forms, the policies, and the kills and pauses in force."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from control_plane.console.apicall import has_route
from control_plane.console.page import Page

VERDICTS = {"approve": "approval_approved", "deny": "approval_denied"}


async def approvals(page: Page) -> web.StreamResponse:
    pending = (await page.api("GET", "/approvals", query={"status": "pending"})).items
    if page.request.headers.get("HX-Request"):
        return page.render("_approvals.html", pending=pending)
    recent = [
        a for a in (await page.api("GET", "/approvals", query={"limit": 20})).items
        if a.status != "pending"
    ]  # fmt: skip
    status = await page.api("GET", "/emergency")
    policies = None
    if has_route("GET", "/policies") and page.can("policies:read"):
        policies = (await page.api("GET", "/policies", query={"limit": 200})).items
    return page.render(
        "approvals.html", pending=pending, recent=recent, emergency=status, policies=policies
    )


async def decide(page: Page) -> web.StreamResponse:
    """Approve or deny from the page's form; the API checks who may (RBAC and the policy)."""
    form = await page.form()
    verdict = form.get("verdict", "")
    if verdict not in VERDICTS:
        return page.render("error.html", status=400, code="bad_verdict", details=None,
                           message=f"unknown verdict {verdict!r}: choose approve or deny")  # fmt: skip
    body: dict[str, Any] = {"reason": form.get("reason", "")}
    if verdict == "approve":
        body["for_run"] = form.get("for_run") == "yes"
    await page.api("POST", f"/approvals/{{approval_id}}/{verdict}", body=body)
    page.redirect(f"/approvals?notice={VERDICTS[verdict]}")
