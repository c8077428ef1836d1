"""Invitations and password resets: single-use, expiring tokens stored hashed.

Attacks: log in as an invitee before they accept, replay a spent token, use an expired or
forged one, find the token in the database, let an admin of one org set the password of
someone who is also in another org, and read a reset token sent to someone else's mailbox.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from email import message_from_bytes
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from agentops.settings import Settings
from control_plane.store.migrate import sync_url
from tests.control_plane.conftest import API, Client, Session, SignUp
from tests.harness.ports import free_port

TOKEN = re.compile(r"aoa_[A-Za-z0-9_-]{43}")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), str(message.get_payload())))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    box = Inbox()
    port = free_port()  # aiosmtpd probes its own port: it needs a real one
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


@pytest.fixture
def cp_settings(
    pg_url: str, redis_url: str, make_settings: Callable[..., Settings], inbox: tuple[int, Inbox]
) -> Settings:
    return make_settings(
        control_plane={
            "database_url": pg_url,
            "redis_url": redis_url,
            "app_role": "agentops_app",
            "password_hash_fast": True,
            "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
            "run_worker": False,
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox[0],
        }
    )


async def _post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.post(API + path, json=body)
    return response.status, await response.json()


async def _invite(owner: Session, email: str, role: str = "member") -> dict[str, Any]:
    invited: dict[str, Any] = await owner.ok(
        "POST", "/org-members", 201, json={"email": email, "role": role}
    )
    return invited


async def _email_channel(owner: Session) -> None:
    body = {"name": "mail", "kind": "email", "recipients": ["ops@example.com"]}
    await owner.ok("POST", "/alerts/channels", 201, json=body)


async def test_an_invitee_sets_a_password_once_with_the_token(
    client: Client, signup: SignUp, pg_url: str
) -> None:
    owner = await signup()
    invited = await _invite(owner, "bob@example.com")
    token = invited["invite_token"]
    assert TOKEN.fullmatch(token)
    assert invited["invite_emailed"] is False  # the org has no e-mail channel
    # Nobody gets in before accepting, whatever password they try.
    login = {"email": "bob@example.com", "password": ""}
    assert (await _post(client, "/auth/login", login | {"password": "anything"}))[0] == 401
    # The token is shown once: the member list never carries it.
    assert token not in str(await owner.ok("GET", "/org-members"))

    status, tokens = await _post(
        client, "/auth/accept-invite", {"token": token, "password": "bob's secret"}
    )
    assert status == 200, tokens
    assert (tokens["org_id"], tokens["role"]) == (owner.org_id, "member")
    assert (await _post(client, "/auth/login", login | {"password": "bob's secret"}))[0] == 200

    replay = await _post(client, "/auth/accept-invite", {"token": token, "password": "x" * 8})
    assert (replay[0], replay[1]["error"]["code"]) == (400, "account_token_used")
    forged = await _post(
        client, "/auth/accept-invite", {"token": "aoa_" + "A" * 43, "password": "x" * 8}
    )
    assert (forged[0], forged[1]["error"]["code"]) == (400, "invalid_account_token")
    # Stored as a hash only.
    engine = sa.create_engine(sync_url(pg_url))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT token_hash FROM account_tokens")).scalars().all()
    engine.dispose()
    assert rows
    assert token not in rows
    assert all(len(row) == 64 for row in rows)


async def test_an_expired_invitation_is_refused_saying_so(
    client: Client, signup: SignUp, pg_url: str
) -> None:
    owner = await signup()
    token = (await _invite(owner, "late@example.com"))["invite_token"]
    engine = sa.create_engine(sync_url(pg_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE account_tokens SET expires_at = now() - interval '1 minute'"))
    engine.dispose()
    status, body = await _post(client, "/auth/accept-invite", {"token": token, "password": "x" * 8})
    assert (status, body["error"]["code"]) == (400, "account_token_expired")
    assert "ask for a new one" in body["error"]["message"]


async def test_the_invitation_is_mailed_through_the_orgs_email_channel(
    signup: SignUp, inbox: tuple[int, Inbox]
) -> None:
    owner = await signup()
    await _email_channel(owner)
    invited = await _invite(owner, "carol@example.com")
    assert invited["invite_emailed"] is True
    ((recipients, text),) = inbox[1].messages
    assert recipients == ["carol@example.com"]
    assert invited["invite_token"] in text


async def test_an_admins_token_cannot_set_the_password_of_someone_in_another_org(
    client: Client, signup: SignUp
) -> None:
    org_a, org_b = await signup(), await signup()
    await _invite(org_a, "shared@example.com")
    token_b = (await _invite(org_b, "shared@example.com"))["invite_token"]
    # Org B's admin holds B's token; using it would open org A too.
    status, body = await _post(
        client, "/auth/accept-invite", {"token": token_b, "password": "hijacked!"}
    )
    assert (status, body["error"]["code"]) == (409, "member_of_other_orgs")


async def test_an_admin_reset_is_shown_once_and_ends_the_members_sessions(
    client: Client, signup: SignUp
) -> None:
    owner = await signup()
    invited = await _invite(owner, "dave@example.com", role="admin")
    _, dave = await _post(
        client, "/auth/accept-invite", {"token": invited["invite_token"], "password": "dave pass"}
    )
    issued = await owner.ok("POST", f"/org-members/{invited['id']}/password-reset", 201)
    status, after = await _post(
        client, "/auth/reset-password", {"token": issued["token"], "password": "new dave pass"}
    )
    assert status == 200, after
    old = await client.get(
        API + "/orgs/profile", headers={"Authorization": f"Bearer {dave['access_token']}"}
    )
    assert old.status == 401
    # An admin cannot reset an owner's password (only an owner can).
    admin = Session(client, after["access_token"], after["refresh_token"], owner.org_id, "", "")
    owners = await owner.ok("GET", "/org-members?role=owner")
    response = await admin.call("POST", f"/org-members/{owners['items'][0]['id']}/password-reset")
    assert response.status == 403


async def test_password_reset_by_email_answers_alike_and_mails_only_the_owner_of_the_address(
    client: Client, signup: SignUp, inbox: tuple[int, Inbox]
) -> None:
    owner = await signup(email="erin@example.com")
    await _email_channel(owner)
    known = await _post(client, "/auth/request-password-reset", {"email": "erin@example.com"})
    unknown = await _post(client, "/auth/request-password-reset", {"email": "nobody@example.com"})
    assert known == unknown
    assert known[0] == 202
    for _ in range(200):  # the mail leaves from a background task
        if inbox[1].messages:
            break
        await asyncio.sleep(0.02)
    ((recipients, text),) = inbox[1].messages
    assert recipients == ["erin@example.com"]
    token = TOKEN.search(text)
    assert token is not None
    status, _ = await _post(
        client, "/auth/reset-password", {"token": token.group(), "password": "erin's new"}
    )
    assert status == 200
    assert (await owner.call("GET", "/orgs/profile")).status == 401
