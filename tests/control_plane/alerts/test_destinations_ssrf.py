"""Attacks on alert channels (issue 13, webhook SSRF): an org admin points a channel at what only
the control plane can reach. Every spelling of an internal address is refused at creation and
again at delivery, redirects are not followed, the receiver's body is never stored, and a DNS
answer that changes after the check (rebinding) cannot move the connection.

The real app and worker code on PostgreSQL; the receivers are real aiohttp servers on
127.0.0.1, reachable through the operator setting under its name ``localhost`` only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from agentops.settings import Settings
from control_plane import app_keys
from control_plane.alerts.destinations import DestinationPolicy, DestinationRefused, refusal
from control_plane.alerts.send import SendConfig
from control_plane.errors import ValidationFailedError
from control_plane.services import alerts
from control_plane.store import alerts as store
from tests.control_plane.services.test_alerts import cross_threshold
from tests.harness.api_org import Org, app_of

INTERNAL = [
    "http://127.0.0.1/hook", "http://127.0.0.1:5432/", "http://[::1]/hook", "http://0x7f000001/",
    "http://2130706433/", "http://127.1/", "http://017700000001/", "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://169.254.169.254/latest/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.google.internal./",
    "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://[fd00:ec2::254]/", "http://[fe80::1]/", "http://224.0.0.1/", "http://0.0.0.0/",
    "http://[::]/", "http://0/", "http://localhost.localdomain/", "https://127.0.0.1.nip.io.invalid/",
]  # fmt: skip
SECRET = "INTERNAL-SERVICE-SECRET-7f3a"


@pytest.fixture
def cp_settings(cp_settings: Settings) -> Settings:
    cp_settings.control_plane.alert_allowed_internal_hosts = ["localhost"]
    return cp_settings


@dataclass
class Receiver:
    """Answers each post with ``status`` and ``body`` (and ``location`` for redirects); counts
    what reaches the redirect target."""

    status: int = 204
    body: str = ""
    location: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    followed: int = 0
    port: int = 0

    async def hook(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        headers = {"Location": self.location} if self.location else {}
        return web.Response(status=self.status, text=self.body, headers=headers)

    async def internal(self, request: web.Request) -> web.Response:
        self.followed += 1
        return web.Response(text=SECRET)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.hook)
    app.router.add_route("*", "/internal", state.internal)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    assert server.port is not None
    state.port = server.port
    yield state
    await server.close()


def send_config(policy: DestinationPolicy) -> SendConfig:
    return SendConfig(None, 25, "alerts@example.com", 5.0, policy)


LOCALHOST = DestinationPolicy.from_entries(["localhost"])


async def deliver(org: Org, policy: DestinationPolicy = LOCALHOST) -> int:
    app = app_of(org)
    at = datetime.now(UTC)
    return await alerts.deliver_due(
        app[app_keys.DATABASE], send_config(policy), at, app[app_keys.SECRET_BOX]
    )


async def last_errors(org: Org) -> list[str | None]:
    page = await org.owner.ok("GET", "/alerts/deliveries")
    return [item["last_error"] for item in page["items"]]


@pytest.mark.parametrize("url", INTERNAL)
async def test_every_spelling_of_an_internal_address_is_refused(url: str) -> None:
    with pytest.raises(DestinationRefused):
        await DestinationPolicy().resolve(url)


async def test_the_api_refuses_internal_destinations_at_creation_and_update(org: Org) -> None:
    for kind in ("webhook", "slack"):
        for url in INTERNAL:
            reply = await org.owner.call(
                "POST", "/alerts/channels", json={"name": "x", "kind": kind, "url": url}
            )
            error = (await reply.json())["error"]
            assert (reply.status, error["code"]) == (422, "destination_refused"), url
    public = await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "public", "kind": "webhook", "url": "https://93.184.215.14/hook",
    })  # fmt: skip
    reply = await org.owner.call(
        "PATCH", f"/alerts/channels/{public['id']}", json={"url": "http://169.254.169.254/"}
    )
    assert reply.status == 422
    shown = await org.owner.ok("GET", f"/alerts/channels/{public['id']}")
    assert shown["url"] == "https://93.184.215.14/hook"


def test_public_addresses_pass_and_embedded_internal_ones_do_not() -> None:
    import ipaddress

    assert refusal(ipaddress.ip_address("93.184.215.14")) is None
    assert refusal(ipaddress.ip_address("2606:4700::1111")) is None
    assert refusal(ipaddress.ip_address("::ffff:10.1.2.3")) == "private"
    assert refusal(ipaddress.ip_address("::ffff:169.254.169.254")) == "link-local"


async def test_a_named_internal_host_is_allowed_and_nothing_else(
    org: Org, receiver: Receiver
) -> None:
    url = f"http://localhost:{receiver.port}/hook"
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "onprem", "kind": "webhook", "url": url,
    })  # fmt: skip
    same_address = f"http://127.0.0.1:{receiver.port}/hook"  # allowed by name, not by address
    reply = await org.owner.call(
        "POST", "/alerts/channels", json={"name": "x", "kind": "webhook", "url": same_address}
    )
    assert reply.status == 422
    await cross_threshold(org, spend=["6"])
    assert await deliver(org) == 1
    assert len(receiver.received) == 1


async def test_delivery_checks_again_when_the_allowance_is_withdrawn(
    org: Org, receiver: Receiver
) -> None:
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "onprem", "kind": "slack", "url": f"http://localhost:{receiver.port}/hook",
    })  # fmt: skip
    await cross_threshold(org, spend=["6"])
    assert await deliver(org, DestinationPolicy()) == 1  # the operator removed the allowance
    assert receiver.received == []
    [error] = await last_errors(org)
    assert error is not None
    assert error.startswith("destination refused: the host resolves to a loopback")


async def test_redirects_are_not_followed(org: Org, receiver: Receiver) -> None:
    receiver.status, receiver.location = 302, f"http://127.0.0.1:{receiver.port}/internal"
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "onprem", "kind": "webhook", "url": f"http://localhost:{receiver.port}/hook",
    })  # fmt: skip
    await cross_threshold(org, spend=["6"])
    assert await deliver(org) == 1
    assert len(receiver.received) == 1
    assert receiver.followed == 0
    assert await last_errors(org) == ["HTTP 302: redirects are not followed"]


@pytest.mark.parametrize("kind", ["webhook", "slack"])
async def test_the_receivers_answer_is_never_stored(
    org: Org, receiver: Receiver, kind: str
) -> None:
    receiver.status, receiver.body = 500, SECRET
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "onprem", "kind": kind, "url": f"http://localhost:{receiver.port}/hook",
    })  # fmt: skip
    await cross_threshold(org, spend=["6"])
    assert await deliver(org) == 1
    assert await last_errors(org) == ["HTTP 500: the receiver refused the delivery"]
    raw = await (await org.owner.call("GET", "/alerts/deliveries")).text()
    assert SECRET not in raw


class Rebinding:
    """A DNS server that answers ``first`` once, then ``then`` (the attacker's TTL-0 trick)."""

    def __init__(self, first: list[str], then: list[str]) -> None:
        self.answers = [first, then]
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return self.answers[min(self.calls - 1, 1)]


async def add_channel(org: Org, url: str, policy: DestinationPolicy) -> None:
    """What the create handler does: check the destination, then store the channel."""
    await alerts.check_destination(policy, url)
    org_id = uuid.UUID(org.owner.org_id)
    async with app_of(org)[app_keys.DATABASE].transaction(org_id) as session:
        await store.create_channel(
            session, org_id=org_id, name="rebind", kind="webhook", url=url,
            recipients=[], enabled=True, secret="whsec_" + "A" * 44,
        )  # fmt: skip


async def test_rebinding_after_creation_is_refused_at_delivery(
    org: Org, receiver: Receiver
) -> None:
    dns = Rebinding(["93.184.215.14"], ["127.0.0.1"])
    policy = DestinationPolicy(lookup=dns)
    await add_channel(org, f"http://rebind.example:{receiver.port}/hook", policy)
    await cross_threshold(org, spend=["6"])
    assert await deliver(org, policy) == 1
    assert receiver.received == []
    [error] = await last_errors(org)
    assert error is not None
    assert "loopback" in error


async def test_the_connection_goes_to_the_checked_address_only(
    org: Org, receiver: Receiver
) -> None:
    # Checked answer: the receiver. Any later lookup would say 10.255.255.1 (nothing there),
    # so a delivery that arrives proves the connection used the checked address, and the
    # Host header (the TLS server name) is still the URL's.
    dns = Rebinding(["127.0.0.1"], ["10.255.255.1"])
    policy = DestinationPolicy.from_entries(["hooks.internal"], lookup=dns)
    url = f"http://hooks.internal:{receiver.port}/hook"
    await add_channel(
        org, url, DestinationPolicy.from_entries(["hooks.internal"], Rebinding(["127.0.0.1"], []))
    )
    await cross_threshold(org, spend=["6"])
    assert await deliver(org, policy) == 1
    assert dns.calls == 1
    [(headers, _)] = receiver.received
    assert headers["Host"] == f"hooks.internal:{receiver.port}"
    assert await last_errors(org) == [None]


async def test_check_destination_is_a_422_naming_the_field() -> None:
    with pytest.raises(ValidationFailedError) as caught:
        await alerts.check_destination(DestinationPolicy(), "http://127.1/")
    assert caught.value.details == [
        {
            "field": "url",
            "location": "body",
            "message": str(caught.value.message).removeprefix("url: "),
        }
    ]
