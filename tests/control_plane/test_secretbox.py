"""Secrets at rest (issue 13): webhook signing secrets and Slack webhook URLs are stored sealed
under the settings' key, shown once (the signing secret) or never (the Slack URL), absent from
the audit log; rows written in clear by older versions are sealed by ``agentops migrate``; a
key is rotated without losing a channel."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select

from agentops.settings import Settings
from cli.main import cli
from control_plane import app_keys
from control_plane.secretbox import PREFIX, SecretBox, SecretUnreadable, load_box, new_key
from control_plane.services import alerts
from control_plane.store import alerts as store
from control_plane.store import orgs
from control_plane.store.engine import create_database
from control_plane.store.tables import NotificationChannel
from tests.control_plane.alerts.test_destinations_ssrf import (
    LOCALHOST,
    Receiver,
    deliver,
    last_errors,
    send_config,
)
from tests.control_plane.alerts.test_destinations_ssrf import receiver as receiver
from tests.control_plane.alerts.test_signing import verify
from tests.control_plane.services.test_alerts import cross_threshold
from tests.harness.api_org import Org, app_of

SLACK_PATH = "/hook?T000/B000/XXXXSECRETPATH"  # the receiver serves /hook


@pytest.fixture
def cp_settings(cp_settings: Settings) -> Settings:
    cp_settings.control_plane.alert_allowed_internal_hosts = ["localhost"]
    cp_settings.control_plane.secrets_key = SecretStr(new_key())
    return cp_settings


async def stored_rows(org: Org) -> list[NotificationChannel]:
    org_id = uuid.UUID(org.owner.org_id)
    async with app_of(org)[app_keys.DATABASE].transaction(org_id) as session:
        stmt = select(NotificationChannel).where(NotificationChannel.org_id == org_id)
        return list((await session.execute(stmt)).scalars().all())


async def test_secrets_are_sealed_shown_once_and_never_audited(
    org: Org, receiver: Receiver
) -> None:
    hook = await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "hook", "kind": "webhook", "url": f"http://localhost:{receiver.port}/hook",
    })  # fmt: skip
    slack_url = f"http://localhost:{receiver.port}{SLACK_PATH}"
    slack = await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "slack", "kind": "slack", "url": slack_url,
    })  # fmt: skip
    assert hook["secret"].startswith("whsec_")
    assert slack["url"] == "http://localhost/…"
    assert slack["secret"] is None
    assert slack["has_secret"] is True
    for row in await stored_rows(org):
        assert row.secret is not None
        assert row.secret.startswith(PREFIX)
        assert hook["secret"] not in row.secret
        assert "SECRETPATH" not in f"{row.secret} {row.url}"
    listed = await (await org.owner.call("GET", "/alerts/channels")).text()
    audit = await (await org.owner.call("GET", "/audit-logs")).text()
    for text in (listed, audit):
        assert "SECRETPATH" not in text
        assert hook["secret"] not in text

    receiver.received.clear()
    await cross_threshold(org, spend=["6"])
    assert await deliver(org) == 2  # both still deliver: the worker opens the seals
    paths_and_bodies = receiver.received
    assert len(paths_and_bodies) == 2
    signed = [(h, b) for h, b in paths_and_bodies if "webhook-signature" in h]
    [(headers, body)] = signed
    assert verify(hook["secret"], headers, body)


async def test_updating_a_slack_url_seals_the_new_one(org: Org, receiver: Receiver) -> None:
    slack = await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "slack", "kind": "slack", "url": f"http://localhost:{receiver.port}/old",
    })  # fmt: skip
    updated = await org.owner.ok("PATCH", f"/alerts/channels/{slack['id']}", json={
        "url": f"http://localhost:{receiver.port}{SLACK_PATH}",
    })  # fmt: skip
    assert updated["url"] == "http://localhost/…"
    [row] = await stored_rows(org)
    box = app_of(org)[app_keys.SECRET_BOX]
    assert row.secret is not None
    assert box.open(row.secret).endswith(SLACK_PATH)


async def add_clear_rows(org: Org, port: int) -> str:
    """Channels as an older version stored them: signing secret and Slack URL in clear."""
    secret = "whsec_" + "QUFB" * 11
    org_id = uuid.UUID(org.owner.org_id)
    async with app_of(org)[app_keys.DATABASE].transaction(org_id) as session:
        for name, kind, path, value in (
            ("old-hook", "webhook", "/hook", secret), ("old-slack", "slack", SLACK_PATH, None),
        ):  # fmt: skip
            await store.create_channel(
                session, org_id=org_id, name=name, kind=kind, recipients=[], enabled=True,
                url=f"http://localhost:{port}{path}", secret=value,
            )  # fmt: skip
    return secret


async def test_clear_rows_are_sealed_by_the_upgrade_and_keep_working(
    org: Org, receiver: Receiver, pg_url: str
) -> None:
    secret = await add_clear_rows(org, receiver.port)
    box = app_of(org)[app_keys.SECRET_BOX]
    owner = create_database(pg_url)  # `agentops migrate` connects as the owning role
    assert await alerts.reseal_secrets(owner, box) == 2
    assert await alerts.reseal_secrets(owner, box) == 0
    await owner.dispose()
    rows = {row.name: row for row in await stored_rows(org)}
    assert all(row.secret and row.secret.startswith(PREFIX) for row in rows.values())
    assert rows["old-slack"].url == "http://localhost/…"
    await cross_threshold(org, spend=["6"])
    assert await deliver(org) == 2
    assert await last_errors(org) == [None, None]
    [(headers, body)] = [(h, b) for h, b in receiver.received if "webhook-signature" in h]
    assert verify(secret, headers, body)


def test_a_key_is_rotated_through_previous_keys() -> None:
    old, new = new_key(), new_key()
    sealed = SecretBox(old).seal("whsec_x")
    rotating = SecretBox(new, [old])
    assert rotating.open(sealed) == "whsec_x"
    assert not rotating.is_current(sealed)
    resealed = rotating.reseal(sealed)
    assert rotating.is_current(resealed)
    assert SecretBox(new).open(resealed) == "whsec_x"  # the previous key can now go
    with pytest.raises(SecretUnreadable):
        SecretBox(new).open(sealed)
    assert SecretBox(new).open("whsec_legacy") == "whsec_legacy"  # clear rows read as they are


async def test_a_missing_key_fails_the_delivery_with_a_fixed_reason(
    org: Org, receiver: Receiver
) -> None:
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "hook", "kind": "webhook", "url": f"http://localhost:{receiver.port}/hook",
    })  # fmt: skip
    await cross_threshold(org, spend=["6"])
    app = app_of(org)
    lost = SecretBox(new_key())  # the operator lost the key
    await alerts.deliver_due(
        app[app_keys.DATABASE], send_config(LOCALHOST), datetime.now(UTC), lost
    )
    assert receiver.received == []
    assert await last_errors(org) == [
        "the channel's secret is sealed under a key no longer configured"
    ]


def test_agentops_migrate_seals_clear_rows_and_records_retention(
    pg_url: str, make_settings: Callable[..., Settings]
) -> None:
    key = new_key()

    async def seed() -> None:
        database = create_database(pg_url)
        org_id = uuid.uuid4()
        async with database.transaction(org_id) as session:
            await orgs.create_org(session, org_id=org_id, slug="o", name="o", timezone="UTC")
            await store.create_channel(
                session, org_id=org_id, name="s", kind="slack", recipients=[], enabled=True,
                url="https://hooks.slack.com/services/T/B/SECRET", secret=None,
            )  # fmt: skip
        await database.dispose()

    asyncio.run(seed())
    env = {
        "AGENTOPS_CONTROL_PLANE__SECRETS_KEY": key,
        "AGENTOPS_CONTROL_PLANE__RETENTION_MONTHS": "6",
    }
    result = CliRunner().invoke(cli, ["migrate", "--database-url", pg_url], env=env)
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    assert "6 months" in result.output


def test_without_a_key_replicas_derive_the_same_one(make_settings: Callable[..., Settings]) -> None:
    def box(home: str) -> SecretBox:
        return load_box(make_settings(home=home, control_plane={
            "database_url": "postgresql+psycopg://h/db", "secret_key": "shared-signing-key",
        }))  # fmt: skip

    sealed = box("/tmp/replica-a").seal("whsec_x")
    assert box("/tmp/replica-b").open(sealed) == "whsec_x"
    with pytest.raises(ValueError, match="new-secrets-key"):
        load_box(make_settings(control_plane={"secrets_key": "not-a-key"}))
