"""Console sign-in on the real app and PostgreSQL: the cookie's flags, CSRF on every form,
the one-time link, sign-out, and where an unauthenticated visitor ends up."""

from __future__ import annotations

from yarl import URL

from tests.console.conftest import Client, SignUp, csrf_of, sign_in
from tests.control_plane.conftest import API


async def test_sign_in_sets_an_httponly_samesite_cookie_and_opens_home(
    client: Client, signup: SignUp
) -> None:
    owner = await signup()
    await client.get("/login")
    token = csrf_of(await (await client.get("/login")).text())
    response = await client.post(
        "/login",
        data={"csrf_token": token, "email": owner.email, "password": "correct horse"},
        allow_redirects=False,
    )
    assert response.status == 303
    cookie = response.cookies["agentops_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain http on localhost; see the HTTPS test below
    assert cookie.value.startswith("aor_")
    home = await client.get("/")
    assert home.status == 200
    assert "Top agents" in await home.text()


async def test_the_cookie_is_secure_behind_an_https_ingress(client: Client, signup: SignUp) -> None:
    owner = await signup()
    page = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    pre = page.cookies["agentops_presession"]
    assert pre["secure"] is True
    # The test client speaks http, so it holds back Secure cookies: hand this one over.
    response = await client.post(
        "/login",
        data={"csrf_token": csrf_of(await page.text()), "email": owner.email,
              "password": "correct horse"},
        headers={"X-Forwarded-Proto": "https", "Cookie": f"agentops_presession={pre.value}"},
        allow_redirects=False,
    )  # fmt: skip
    assert response.cookies["agentops_session"]["secure"] is True


async def test_a_wrong_password_and_a_forged_login_form_are_refused(
    client: Client, signup: SignUp
) -> None:
    owner = await signup()
    token = csrf_of(await (await client.get("/login")).text())
    wrong = await client.post(
        "/login", data={"csrf_token": token, "email": owner.email, "password": "nope"}
    )
    assert wrong.status == 401
    assert "Invalid e-mail or password" in await wrong.text()
    # A cross-site page cannot read the token: posting without it signs nobody in.
    forged = await client.post(
        "/login", data={"email": owner.email, "password": "correct horse"}, allow_redirects=False
    )
    assert forged.status == 403
    assert "agentops_session" not in forged.cookies


async def test_guessing_through_the_sign_in_form_is_limited_like_the_api(
    client: Client, signup: SignUp
) -> None:
    """The form is another door to the same accounts: its failures count with the API's, and
    a locked account is refused there too, the right password included."""
    owner = await signup()
    token = csrf_of(await (await client.get("/login")).text())
    for _ in range(10):  # the default login_failures_per_account
        form = {"csrf_token": token, "email": owner.email, "password": "guess"}
        assert (await client.post("/login", data=form)).status == 401
    locked = await client.post(
        "/login", data={"csrf_token": token, "email": owner.email, "password": "correct horse"}
    )
    assert locked.status == 429
    assert "Try again in" in await locked.text()
    assert "agentops_session" not in locked.cookies
    api = await client.post(f"{API}/auth/login", json={"email": owner.email, "password": "x"})
    assert api.status == 429


async def test_pages_redirect_to_sign_in_and_come_back_after(
    client: Client, signup: SignUp
) -> None:
    owner = await signup()
    response = await client.get("/runs?status=ok", allow_redirects=False)
    assert response.status == 303
    location = URL(response.headers["Location"])
    assert (location.path, location.query["next"]) == ("/login", "/runs?status=ok")
    page = await client.get(response.headers["Location"])
    html = await page.text()
    back = await client.post(
        "/login",
        data={"csrf_token": csrf_of(html), "email": owner.email, "password": "correct horse",
              "next": "/runs?status=ok"}, allow_redirects=False,
    )  # fmt: skip
    assert back.headers["Location"] == "/runs?status=ok"


async def test_next_never_leaves_the_site(client: Client, signup: SignUp) -> None:
    owner = await signup()
    html = await (await client.get("/login?next=//evil.example/x")).text()
    assert 'name="next" value="/"' in html
    response = await client.post(
        "/login",
        data={"csrf_token": csrf_of(html), "email": owner.email, "password": "correct horse",
              "next": "https://evil.example/"}, allow_redirects=False,
    )  # fmt: skip
    assert response.headers["Location"] == "/"


async def test_a_form_without_its_csrf_token_is_refused(client: Client, signup: SignUp) -> None:
    owner = await signup()
    console = await sign_in(client, owner.email)
    await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    agent = (await owner.ok("GET", "/agents"))["items"][0]
    for token in (None, "0" * 64):
        form = {"action": "kill", "reason": "x", "confirm": "yes"}
        if token is not None:
            form["csrf_token"] = token
        response = await client.post(f"/agents/{agent['id']}/control", data=form)
        assert response.status == 403
        assert "did not come from this console" in await response.text()
    assert (await owner.ok("GET", f"/agents/{agent['id']}"))["status"] == "active"
    # The same form with the page's token works (after the confirmation step).
    done = await console.post(
        f"/agents/{agent['id']}/control",
        {"action": "kill", "reason": "INC-7", "confirm": "yes"},
        from_page=f"/agents/{agent['id']}",
    )
    assert done.status == 303
    assert (await owner.ok("GET", f"/agents/{agent['id']}"))["status"] == "killed"


async def test_sign_out_ends_the_session_for_good(client: Client, signup: SignUp) -> None:
    owner = await signup()
    console = await sign_in(client, owner.email)
    stolen = client.session.cookie_jar.filter_cookies(client.make_url("/"))["agentops_session"]
    response = await console.post("/logout", {}, from_page="/")
    assert response.status == 303
    assert (await client.get("/", allow_redirects=False)).status == 303
    # A copy of the old cookie is worthless: the login it belonged to is revoked.
    client.session.cookie_jar.update_cookies({"agentops_session": stolen.value})
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_a_removed_member_loses_the_console_at_once(client: Client, signup: SignUp) -> None:
    from tests.console.conftest import join

    owner = await signup()
    viewer = await join(owner, signup, "viewer")
    profile = await owner.ok("GET", "/orgs/profile")
    await sign_in(client, viewer.email, org=profile["slug"])
    assert (await client.get("/", allow_redirects=False)).status == 200
    member = next(m for m in (await owner.ok("GET", "/org-members"))["items"]
                  if m["email"] == viewer.email)  # fmt: skip
    await owner.ok("DELETE", f"/org-members/{member['id']}", 204)
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_the_one_time_link_signs_in_once(client: Client, signup: SignUp) -> None:
    owner = await signup()
    link = f"/login/link?token={owner.refresh_token}"
    first = await client.get(link, allow_redirects=False)
    assert first.status == 303
    assert (await client.get("/", allow_redirects=False)).status == 200
    client.session.cookie_jar.clear()
    replay = await client.get(link, allow_redirects=False)
    assert replay.status == 401
    assert "already used" in await replay.text()
    garbage = await client.get("/login/link?token=aor_nope", allow_redirects=False)
    assert garbage.status == 401


async def test_the_api_keeps_its_json_errors_and_docs_are_public(client: Client) -> None:
    response = await client.get(f"{API}/agents")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "missing_credentials"
    docs = await client.get(f"{API}/docs")
    assert docs.status == 200
    assert "swagger-ui" in await docs.text()
    assert docs.headers["X-Frame-Options"] == "DENY"
