"""Alert rules: channels and their secrets, fanning an alert out to deliveries, sending the due
ones with retry and dead-letter, and re-sending by hand.

``enqueue`` runs in the caller's transaction (the ingest that crossed a threshold), so an
alert is queued exactly when its cause commits. ``deliver_due`` is the worker job's body.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from yarl import URL

from agentops.settings import ControlPlaneSettings
from control_plane.alerts import retry, signing
from control_plane.alerts.destinations import DestinationPolicy, DestinationRefused
from control_plane.alerts.send import DeliveryFailed, Outbound, SendConfig, send
from control_plane.errors import ConflictError, ValidationFailedError, found
from control_plane.schemas.alerts import (
    ChannelCreate,
    ChannelCreated,
    ChannelOut,
    ChannelUpdate,
    DeliveryOut,
)
from control_plane.schemas.common import from_row
from control_plane.secretbox import SecretBox, SecretUnreadable
from control_plane.store import alerts as store
from control_plane.store.engine import Database
from control_plane.store.errors import IntegrityError
from control_plane.store.tables import AlertDelivery, NotificationChannel, utcnow
from control_plane.store.types import AsyncSession

log = logging.getLogger(__name__)

AUDITED_FIELDS = ("name", "kind", "url", "recipients", "enabled")


async def check_destination(policy: DestinationPolicy, url: str | None) -> None:
    """Refuse (422) a webhook or Slack URL the SSRF guard would not deliver to. Called by the
    handler before its transaction opens (it resolves the host); delivery checks again."""
    if url is None:
        return
    try:
        await policy.resolve(url)
    except DestinationRefused as exc:
        problem = str(exc)
        raise ValidationFailedError(
            f"url: {problem}",
            code="destination_refused",
            details=[{"field": "url", "location": "body", "message": problem}],
        ) from None


async def create_channel(
    session: AsyncSession, org_id: uuid.UUID, body: ChannelCreate, box: SecretBox
) -> tuple[NotificationChannel, str | None]:
    """Store the channel with its secrets sealed; returns the webhook signing secret (shown
    to the caller once, never again)."""
    fields = body.model_dump()
    secret = signing.new_secret() if body.kind == "webhook" else None
    fields["secret"] = box.seal(secret) if secret is not None else None
    if body.kind == "slack" and body.url is not None:
        fields["secret"], fields["url"] = box.seal(body.url), masked_url(body.url)
    try:
        channel = await store.create_channel(session, org_id=org_id, **fields)
    except IntegrityError:
        raise _name_taken(body.name) from None
    return channel, secret


async def update_channel(
    session: AsyncSession, channel: NotificationChannel, body: ChannelUpdate, box: SecretBox
) -> str | None:
    """Apply the changes; returns the new secret when one was rotated."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"rotate_secret"})
    changes = {key: value for key, value in changes.items() if value is not None}
    secret = None
    if body.rotate_secret and channel.kind == "webhook":
        secret = signing.new_secret()
        changes["secret"] = box.seal(secret)
    if channel.kind == "slack" and "url" in changes:
        changes["secret"], changes["url"] = box.seal(changes["url"]), masked_url(changes["url"])
    try:
        await store.update_channel(session, channel, changes)
    except IntegrityError:
        raise _name_taken(str(changes.get("name"))) from None
    return secret


def masked_url(url: str) -> str:
    """What is shown and audited of a Slack webhook URL (the path is its credential)."""
    parsed = URL(url)
    return f"{parsed.scheme}://{parsed.host}/…"


async def get_channel(
    session: AsyncSession, org_id: uuid.UUID, channel_id: uuid.UUID
) -> NotificationChannel:
    return found(
        await store.get_channel(session, org_id, channel_id), f"no such channel: {channel_id}"
    )


async def enqueue(
    session: AsyncSession,
    org_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
) -> list[AlertDelivery]:
    """One pending delivery per enabled channel of the org, in the caller's transaction;
    ``dedupe_key``: at most one per channel with this key (a unique index holds it)."""
    channels = await store.list_enabled_channels(session, org_id)
    return [
        await store.create_delivery(
            session,
            org_id=org_id,
            channel_id=channel.id,
            event_id=event_id,
            event_type=event_type,
            payload=payload | {"type": event_type},
            dedupe_key=dedupe_key,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
        )
        for channel in channels
    ]


async def enqueue_test(
    session: AsyncSession, org_id: uuid.UUID, channel: NotificationChannel
) -> AlertDelivery:
    """One delivery of a test message to this channel only (sent by the worker like any
    alert, so it proves the whole path: worker, signing, the receiver)."""
    return await store.create_delivery(
        session,
        org_id=org_id,
        channel_id=channel.id,
        event_id=None,
        event_type="test",
        payload={
            "type": "test",
            "message": f"Test notification from AgentOps Hub to channel {channel.name!r}",
        },
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )


async def resend(session: AsyncSession, org_id: uuid.UUID, delivery_id: uuid.UUID) -> AlertDelivery:
    """Queue a delivery again now, with a fresh set of tries (dead letters included)."""
    delivery = found(
        await store.get_delivery(session, org_id, delivery_id), f"no such delivery: {delivery_id}"
    )
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    await session.flush()
    return delivery


async def deliver_due(database: Database, config: SendConfig, now: datetime, box: SecretBox) -> int:
    """Send every delivery due at ``now``, org by org; returns how many were attempted.

    Each org's batch is claimed with row locks in one transaction, sent, and its outcomes
    written before the commit, so a crash mid-batch re-sends at worst (at-least-once;
    receivers deduplicate on ``webhook-id``, the delivery id).
    """
    async with database.transaction() as session:
        org_ids = await store.org_ids_with_due_deliveries(session, now)
    attempted = 0
    for org_id in org_ids:
        async with database.transaction(org_id) as session:
            due = await store.claim_due_deliveries(session, org_id, now)
            for delivery in due:
                channel = await store.get_channel(session, org_id, delivery.channel_id)
                assert channel is not None, "deliveries cascade with their channel"
                await _attempt(config, channel, delivery, now, box)
                attempted += 1
    return attempted


async def _attempt(
    config: SendConfig,
    channel: NotificationChannel,
    delivery: AlertDelivery,
    now: datetime,
    box: SecretBox,
) -> None:
    delivery.attempts += 1
    try:
        await send(config, _outbound(channel, delivery, now, box))
    except DeliveryFailed as exc:
        delivery.last_error = str(exc)
        retry_at = None if exc.permanent else retry.next_attempt_at(delivery.attempts, now)
        if retry_at is None:
            delivery.status = "dead"
            log.warning("alert delivery dead-lettered", extra={"delivery_id": str(delivery.id)})
        else:
            delivery.next_attempt_at = retry_at
        return
    delivery.status = "delivered"
    delivery.delivered_at = now
    delivery.last_error = None


def _outbound(
    channel: NotificationChannel, delivery: AlertDelivery, now: datetime, box: SecretBox
) -> Outbound:
    try:
        secret = box.open(channel.secret) if channel.secret is not None else None
    except SecretUnreadable as exc:
        raise DeliveryFailed(
            "the channel's secret is sealed under a key no longer configured"
        ) from exc
    return Outbound(
        delivery_id=f"msg_{delivery.id.hex}",
        kind=channel.kind,
        url=secret if channel.kind == "slack" else channel.url,
        secret=secret if channel.kind == "webhook" else None,
        recipients=tuple(channel.recipients),
        payload=delivery.payload,
        timestamp=int(now.timestamp()),
    )


async def reseal_secrets(database: Database, box: SecretBox) -> int:
    """Seal every channel secret under the current key: rows written in clear before sealing
    existed (Slack URLs included) and rows sealed under a previous key. Returns how many
    changed; run by ``agentops migrate`` as the owning role."""
    changed = 0
    async with database.transaction() as session, store.every_orgs_channels(session) as rows:
        for channel in rows:
            if channel.kind == "slack" and channel.secret is None and channel.url is not None:
                channel.secret, channel.url = box.seal(channel.url), masked_url(channel.url)
            elif channel.secret is not None and not box.is_current(channel.secret):
                channel.secret = box.reseal(channel.secret)
            else:
                continue
            changed += 1
    return changed


def destination_policy(settings: ControlPlaneSettings) -> DestinationPolicy:
    return DestinationPolicy.from_entries(settings.alert_allowed_internal_hosts)


def channel_out(channel: NotificationChannel) -> ChannelOut:
    return from_row(ChannelOut, channel, has_secret=channel.secret is not None)


def channel_created(channel: NotificationChannel, secret: str | None) -> ChannelCreated:
    return ChannelCreated(**channel_out(channel).model_dump(), secret=secret)


def deliveries_out(rows: Sequence[AlertDelivery]) -> list[DeliveryOut]:
    return [from_row(DeliveryOut, row) for row in rows]


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"a channel named {name!r} already exists", code="name_taken")
