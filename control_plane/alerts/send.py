"""Send one delivery to its channel. Raises ``DeliveryFailed`` with a short, fixed reason on any
failure; the caller records it and schedules the retry.

A reason never carries what the receiver said (its body, an SMTP server's reply text): an org
admin chooses the destination, so echoing the answer would let them read internal services.
Webhook and Slack URLs go through the SSRF guard (``destinations``) at every attempt, the
connection is pinned to the addresses it checked, and redirects are not followed.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import aiohttp

from control_plane.alerts import messages, signing
from control_plane.alerts.destinations import (
    DestinationPolicy,
    DestinationRefused,
    PinnedResolver,
)
from control_plane.alerts.errors import DeliveryFailed
from control_plane.alerts.smtp import SmtpConfig, send_email

__all__ = ["DeliveryFailed", "Outbound", "SendConfig", "send"]


@dataclass(frozen=True)
class Outbound:
    """Everything needed to send, copied out of the rows (no session during network I/O)."""

    delivery_id: str
    kind: str  # webhook | slack | email
    url: str | None
    secret: str | None
    recipients: tuple[str, ...]
    payload: dict[str, Any]
    timestamp: int


@dataclass(frozen=True)
class SendConfig:
    smtp_host: str | None
    smtp_port: int
    smtp_from: str
    timeout_seconds: float  # per delivery, HTTP or SMTP
    destinations: DestinationPolicy = field(default_factory=DestinationPolicy)
    smtp_security: str = "auto"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_ca_file: str | None = None

    @property
    def smtp(self) -> SmtpConfig:
        return SmtpConfig(
            self.smtp_host, self.smtp_port, self.smtp_from, self.smtp_security,
            self.smtp_username, self.smtp_password, self.smtp_ca_file,
        )  # fmt: skip


async def send(config: SendConfig, out: Outbound) -> None:
    try:
        if out.kind == "email":
            await asyncio.to_thread(_send_email, config, out)
        else:
            async with asyncio.timeout(config.timeout_seconds):
                await _post(config.destinations, out)
    except DeliveryFailed:
        raise
    except DestinationRefused as exc:
        raise DeliveryFailed(f"destination refused: {exc}") from exc
    except TimeoutError as exc:
        raise DeliveryFailed("timed out") from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP error {exc.smtp_code}") from exc
    except (ssl.SSLCertVerificationError, aiohttp.ClientConnectorCertificateError) as exc:
        # Decided here, not said by the receiver: safe to name, and what the operator must fix.
        raise DeliveryFailed("TLS failed: the certificate is not trusted") from exc
    except (smtplib.SMTPException, ssl.SSLError, aiohttp.ClientSSLError) as exc:
        raise DeliveryFailed(f"{_kind_of(exc)} failed") from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise DeliveryFailed("connection failed") from exc


def _kind_of(exc: Exception) -> str:
    return "SMTP" if isinstance(exc, smtplib.SMTPException) else "TLS"


async def _post(policy: DestinationPolicy, out: Outbound) -> None:
    if out.url is None:
        raise DeliveryFailed("channel has no URL")
    if out.kind == "slack":
        body = json.dumps(messages.slack_body(out.payload)).encode()
        headers = {"content-type": "application/json"}
    else:
        body = json.dumps(out.payload, separators=(",", ":"), sort_keys=True).encode()
        if out.secret is None:
            raise DeliveryFailed("webhook channel has no signing secret")
        headers = signing.headers(out.secret, out.delivery_id, out.timestamp, body)
    destination = await policy.resolve(out.url)
    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(destination), use_dns_cache=False, force_close=True
    )
    async with (
        aiohttp.ClientSession(connector=connector, trust_env=False) as http,
        http.post(out.url, data=body, headers=headers, allow_redirects=False) as reply,
    ):
        if 300 <= reply.status < 400:
            raise DeliveryFailed(f"HTTP {reply.status}: redirects are not followed")
        if reply.status >= 400:
            raise DeliveryFailed(f"HTTP {reply.status}: the receiver refused the delivery")


def _send_email(config: SendConfig, out: Outbound) -> None:
    if not out.recipients:
        raise DeliveryFailed("e-mail channel has no recipients")
    subject, text = messages.email_text(out.payload)
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = ", ".join(out.recipients)
    message["Subject"] = subject
    message["Message-ID"] = f"<{out.delivery_id}@agentops>"
    message.set_content(text)
    send_email(config.smtp, message, config.timeout_seconds)
