"""/alerts: notification channels (CRUD) and deliveries (list, re-send)."""

from __future__ import annotations

from control_plane import app_keys
from control_plane.alerts.destinations import DestinationPolicy
from control_plane.endpoint import ApiRequest
from control_plane.schemas.alerts import (
    ChannelCreate,
    ChannelCreated,
    ChannelOut,
    ChannelPage,
    ChannelUpdate,
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
)
from control_plane.services import alerts as rules
from control_plane.services.audit import snapshot
from control_plane.store import alerts

FIELDS = rules.AUDITED_FIELDS


async def create_channel(req: ApiRequest) -> ChannelCreated:
    body = req.body_as(ChannelCreate)
    await rules.check_destination(_policy(req), body.url)
    async with req.transaction() as session:
        channel, secret = await rules.create_channel(
            session, req.principal.org_id, body, req.app_get(app_keys.SECRET_BOX)
        )
        await req.audit(
            session, "alert_channel.create", "alert_channel", channel.id,
            after=snapshot(channel, FIELDS),
        )  # fmt: skip
        return rules.channel_created(channel, secret)


async def list_channels(req: ApiRequest) -> ChannelPage:
    async with req.transaction() as session:
        page = await req.page_of(session, alerts.list_channels)
    return ChannelPage(
        items=[rules.channel_out(c) for c in page.items], next_cursor=page.next_cursor
    )


async def get_channel(req: ApiRequest) -> ChannelOut:
    async with req.transaction() as session:
        channel = await rules.get_channel(session, req.principal.org_id, req.path_id("channel_id"))
        return rules.channel_out(channel)


async def update_channel(req: ApiRequest) -> ChannelCreated:
    body = req.body_as(ChannelUpdate)
    await rules.check_destination(_policy(req), body.url)
    async with req.transaction() as session:
        channel = await rules.get_channel(session, req.principal.org_id, req.path_id("channel_id"))
        before = snapshot(channel, FIELDS)
        secret = await rules.update_channel(
            session, channel, body, req.app_get(app_keys.SECRET_BOX)
        )
        after = snapshot(channel, FIELDS) | ({"secret_rotated": True} if secret else {})
        await req.audit(
            session, "alert_channel.update", "alert_channel", channel.id, before=before, after=after
        )
        return rules.channel_created(channel, secret)


async def delete_channel(req: ApiRequest) -> None:
    async with req.transaction() as session:
        channel = await rules.get_channel(session, req.principal.org_id, req.path_id("channel_id"))
        before = snapshot(channel, FIELDS)
        await alerts.delete_channel(session, channel)
        await req.audit(session, "alert_channel.delete", "alert_channel", channel.id, before=before)


async def list_deliveries(req: ApiRequest) -> DeliveryPage:
    query = req.query_as(DeliveryQuery)
    async with req.transaction() as session:
        page = await alerts.list_deliveries(
            session,
            req.principal.org_id,
            status=query.status,
            channel_id=query.channel_id,
            cursor=query.cursor,
            limit=query.limit,
        )
    return DeliveryPage(items=rules.deliveries_out(page.items), next_cursor=page.next_cursor)


async def resend_delivery(req: ApiRequest) -> DeliveryOut:
    async with req.transaction() as session:
        delivery = await rules.resend(session, req.principal.org_id, req.path_id("delivery_id"))
        await req.audit(session, "alert_delivery.resend", "alert_delivery", delivery.id)
        return rules.deliveries_out([delivery])[0]


async def test_channel(req: ApiRequest) -> DeliveryOut:
    async with req.transaction() as session:
        channel = await rules.get_channel(session, req.principal.org_id, req.path_id("channel_id"))
        delivery = await rules.enqueue_test(session, req.principal.org_id, channel)
        await req.audit(session, "alert_channel.test", "alert_channel", channel.id)
        return rules.deliveries_out([delivery])[0]


def _policy(req: ApiRequest) -> DestinationPolicy:
    return rules.destination_policy(req.app_get(app_keys.SETTINGS).control_plane)
