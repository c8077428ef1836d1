"""Send one delivery to its channel. Raises ``DeliveryFailed`` with a short reason on any
failure; the caller records it and schedules the retry."""

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


async def send(http: aiohttp.ClientSession, config: SendConfig, out: Outbound) -> None:
    try:
        if out.kind == "email":
            await asyncio.to_thread(_send_email, config, out)
        else:
            async with asyncio.timeout(config.timeout_seconds):
                await _post(http, out)
    except DeliveryFailed:
        raise
    except (aiohttp.ClientError, TimeoutError, OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:900]) from exc


async def _post(http: aiohttp.ClientSession, out: Outbound) -> None:
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
    async with http.post(out.url, data=body, headers=headers) as reply:
        if reply.status >= 300:
            text = (await reply.text())[:200]
            raise DeliveryFailed(f"HTTP {reply.status}: {text}")


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
