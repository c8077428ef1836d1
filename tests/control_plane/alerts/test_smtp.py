"""E-mail alerts to a real relay (aiosmtpd on a free port): STARTTLS and implicit TLS with a
certificate generated for the test, username and password, credentials never sent in clear,
and a missing host dead-lettered at once as a configuration error instead of retried."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from control_plane.alerts.send import DeliveryFailed, Outbound, SendConfig, send
from tests.control_plane.services.test_alerts import Inbox, cross_threshold, deliver
from tests.harness.api_org import Org
from tests.harness.ports import free_port

USER, PASSWORD = "alerts", "relay-secret"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agentops-test-relay")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("relay")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def _server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    return context


class Logins:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.seen.append(data.login.decode())
        ok = (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
        return AuthResult(success=ok, handled=False)


def relay(mode: str, cert: tuple[Path, Path]) -> Iterator[tuple[Controller, Inbox, Logins]]:
    inbox, logins = Inbox(), Logins()
    options: dict[str, Any] = {"authenticator": logins, "auth_require_tls": True}
    if mode == "starttls":
        options |= {"tls_context": _server_context(cert), "require_starttls": True}
    elif mode == "tls":  # aiosmtpd counts only STARTTLS as TLS for AUTH: the socket is TLS
        options |= {"ssl_context": _server_context(cert), "auth_require_tls": False}
    else:
        options |= {"auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller, inbox, logins
    finally:
        controller.stop()


@pytest.fixture
def starttls_relay(cert: tuple[Path, Path]) -> Iterator[tuple[Controller, Inbox, Logins]]:
    yield from relay("starttls", cert)


@pytest.fixture
def tls_relay(cert: tuple[Path, Path]) -> Iterator[tuple[Controller, Inbox, Logins]]:
    yield from relay("tls", cert)


@pytest.fixture
def plain_relay(cert: tuple[Path, Path]) -> Iterator[tuple[Controller, Inbox, Logins]]:
    yield from relay("plain", cert)


def config(port: int, security: str, cert: tuple[Path, Path] | None, **extra: Any) -> SendConfig:
    return SendConfig("127.0.0.1", port, "alerts@example.com", 5.0, smtp_security=security,
                      smtp_ca_file=str(cert[0]) if cert else None, **extra)  # fmt: skip


async def send_one(cfg: SendConfig) -> None:
    out = Outbound("msg_1", "email", None, None, ("cfo@example.com",),
                   {"type": "costs.reconcile_drift", "message": "drift"}, 0)  # fmt: skip
    await send(cfg, out)


@pytest.mark.parametrize("security", ["starttls", "auto"])
async def test_starttls_with_login(starttls_relay: Any, cert: Any, security: str) -> None:
    controller, inbox, logins = starttls_relay
    await send_one(
        config(controller.port, security, cert, smtp_username=USER, smtp_password=PASSWORD)
    )
    [mail] = inbox.messages
    assert b"Subject: [AgentOps] drift" in mail
    assert logins.seen == [USER]


async def test_implicit_tls_with_login(tls_relay: Any, cert: Any) -> None:
    controller, inbox, logins = tls_relay
    await send_one(config(controller.port, "tls", cert, smtp_username=USER, smtp_password=PASSWORD))
    assert len(inbox.messages) == 1
    assert logins.seen == [USER]


async def test_an_untrusted_certificate_is_refused(starttls_relay: Any) -> None:
    controller, inbox, _ = starttls_relay
    with pytest.raises(DeliveryFailed, match="certificate is not trusted") as failed:
        await send_one(config(controller.port, "starttls", None))  # system roots only
    assert not failed.value.permanent  # a relay certificate can be fixed: retried
    assert inbox.messages == []


async def test_a_wrong_password_is_a_configuration_error(starttls_relay: Any, cert: Any) -> None:
    controller, inbox, _ = starttls_relay
    with pytest.raises(DeliveryFailed, match="configuration error: SMTP login refused") as failed:
        await send_one(
            config(controller.port, "starttls", cert, smtp_username=USER, smtp_password="nope")
        )
    assert failed.value.permanent
    assert inbox.messages == []


async def test_the_password_never_travels_in_clear(plain_relay: Any, cert: Any) -> None:
    controller, inbox, logins = plain_relay
    with pytest.raises(DeliveryFailed, match="refusing to send the password in clear"):
        await send_one(
            config(controller.port, "auto", cert, smtp_username=USER, smtp_password=PASSWORD)
        )
    with pytest.raises(DeliveryFailed, match="does not offer STARTTLS"):
        await send_one(config(controller.port, "starttls", cert))
    assert (logins.seen, inbox.messages) == ([], [])


async def test_a_missing_host_is_dead_lettered_at_once_not_retried(org: Org) -> None:
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "finance", "kind": "email", "recipients": ["cfo@example.com"],
    })  # fmt: skip
    await cross_threshold(org, spend=["6"])
    no_host = SendConfig(None, 25, "alerts@example.com", 5.0)
    at = dt.datetime.now(dt.UTC)
    assert await deliver(org, at, no_host) == 1
    [dead] = (await org.owner.ok("GET", "/alerts/deliveries"))["items"]
    assert dead["status"] == "dead"
    assert dead["attempts"] == 1
    assert dead["last_error"].startswith("configuration error: no SMTP server")
    assert await deliver(org, at + dt.timedelta(hours=2), no_host) == 0
    await asyncio.sleep(0)
