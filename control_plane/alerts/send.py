"""Send one delivery to its channel. Raises ``DeliveryFailed`` with a short reason on any
failure; the caller records it and schedules the retry."""

from __future__ import annotations

import asyncio
import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiohttp

from control_plane.alerts import messages, signing


class DeliveryFailed(Exception):
    pass


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


async def send(http: aiohttp.ClientSession, config: SendConfig, out: Outbound) -> None:
    try:
        if out.kind == "email":
            await asyncio.to_thread(_send_email, config, out)
        else:
            async with asyncio.timeout(config.timeout_seconds):
                await _post(http, out)
    except DeliveryFailed:
        raise
    except (aiohttp.ClientError, TimeoutError, OSError, smtplib.SMTPException) as exc:
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
    if config.smtp_host is None:
        raise DeliveryFailed("no SMTP server configured (control_plane.smtp_host)")
    if not out.recipients:
        raise DeliveryFailed("e-mail channel has no recipients")
    subject, text = messages.email_text(out.payload)
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = ", ".join(out.recipients)
    message["Subject"] = subject
    message["Message-ID"] = f"<{out.delivery_id}@agentops>"
    message.set_content(text)
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds) as client:
        client.send_message(message)
