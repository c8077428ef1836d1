"""Console fixtures: the real app (tests/control_plane/conftest.py) and a browser-less console
session that signs in through the login form and posts forms with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.control_plane.conftest import (  # noqa: F401  # fixtures
    Client,
    Session,
    SignUp,
    client,
    cp_settings,
    join,
    signup,
)

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Console:
    client: Client

    async def get(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path, allow_redirects=False)
        text = await response.text()
        assert response.status == status, f"GET {path} -> {response.status}: {text[:500]}"
        return text

    async def post(self, path: str, form: dict[str, Any], *, from_page: str) -> Any:
        """Post a form as the browser does: with the CSRF token of the page it came from."""
        token = csrf_of(await self.get(from_page))
        return await self.client.post(
            path, data={"csrf_token": token, **form}, allow_redirects=False
        )


async def sign_in(
    http: Client, email: str, password: str = "correct horse", org: str = ""
) -> Console:
    http.session.cookie_jar.clear()
    page = await http.get("/login")
    token = csrf_of(await page.text())
    response = await http.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "org": org},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    return Console(http)
