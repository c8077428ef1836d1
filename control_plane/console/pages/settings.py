"""Settings: org profile and time zone, members and invitations, teams, API keys (shown once),
notification channels, prices. Each section shows only what the user may read, and each form
posts to the API route that checks the permission again."""

from __future__ import annotations

from typing import Any, NoReturn

from aiohttp import web

from control_plane.console.page import Page

_RATES = ("input", "output", "cached_read")


async def settings(page: Page) -> web.StreamResponse:
    return page.render("settings.html", **await _sections(page))


async def _sections(page: Page) -> dict[str, Any]:
    async def read(permission: str, path: str, query: dict[str, Any] | None = None) -> Any:
        return await page.api("GET", path, query=query) if page.can(permission) else None

    return {
        "members": await read("members:read", "/org-members", {"limit": 200}),
        "teams": await read("teams:read", "/teams", {"limit": 200}),
        "keys": await read("api_keys:read", "/api-keys", {"limit": 200}),
        "channels": await read("alerts:read", "/alerts/channels", {"limit": 200}),
        "deliveries": await read("alerts:read", "/alerts/deliveries", {"limit": 10}),
        "overrides": await read("prices:read", "/prices/overrides"),
    }


async def unpriced(page: Page) -> web.StreamResponse:
    """Models seen without a price: a scan of the calls, so loaded after the page (htmx)."""
    return page.render("_unpriced.html", unpriced=await page.api("GET", "/prices/unpriced"))


async def save_profile(page: Page) -> web.StreamResponse:
    await _send(page, "PATCH", "/orgs/profile", ("name", "timezone"), "notice=profile_saved")


async def invite(page: Page) -> web.StreamResponse:
    await _send(
        page, "POST", "/org-members", ("email", "role", "team_id"), "notice=invited#members"
    )


async def change_member(page: Page) -> web.StreamResponse:
    form = await page.form()
    if form.get("remove") == "yes":
        await page.api("DELETE", "/org-members/{member_id}")
        page.redirect("/settings?notice=member_removed#members")
    await page.api("PATCH", "/org-members/{member_id}", body={"role": form.get("role", "")})
    page.redirect("/settings?notice=member_updated#members")


async def create_team(page: Page) -> web.StreamResponse:
    await _send(page, "POST", "/teams", ("name", "description"), "notice=team_created#teams")


async def create_key(page: Page) -> web.StreamResponse:
    form = await page.form()
    scopes = (await page.request.post()).getall("scopes", [])
    created = await page.api(
        "POST", "/api-keys", body={"name": form.get("name", ""), "scopes": list(scopes)}
    )
    # Shown once, on this response only: a reload does not show it again.
    return page.render("secret_once.html", what="API key", name=created.name, secret=created.key)


async def revoke_key(page: Page) -> web.StreamResponse:
    await page.api("DELETE", "/api-keys/{key_id}")
    page.redirect("/settings?notice=key_revoked#keys")


async def create_channel(page: Page) -> web.StreamResponse:
    form = await page.form()
    body: dict[str, Any] = {"name": form.get("name", ""), "kind": form.get("kind", "")}
    if form.get("kind") == "email":
        body["recipients"] = [r.strip() for r in form.get("target", "").split(",") if r.strip()]
    else:
        body["url"] = form.get("target")
    created = await page.api("POST", "/alerts/channels", body=body)
    if created.secret:
        return page.render(
            "secret_once.html", what="webhook signing secret", name=created.name,
            secret=created.secret,
        )  # fmt: skip
    page.redirect("/settings?notice=channel_created#channels")


async def test_channel(page: Page) -> web.StreamResponse:
    await page.api("POST", "/alerts/channels/{channel_id}/test")
    page.redirect("/settings?notice=test_sent#channels")


async def set_price(page: Page) -> web.StreamResponse:
    fields = ("model", "provider", *_RATES)
    await _send(page, "POST", "/prices/overrides", fields, "notice=price_saved#prices")


async def _send(page: Page, method: str, path: str, fields: tuple[str, ...], done: str) -> NoReturn:
    """Send the posted ``fields`` that were filled in to the API, then back to the settings
    page with ``done`` (its notice and section)."""
    form = await page.form()
    await page.api(method, path, body={k: form[k] for k in fields if k in form})
    page.redirect(f"/settings?{done}")
