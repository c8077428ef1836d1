"""E-mail to one person about their account: an invitation or a password-reset link.

It goes out through the org's e-mail channel when the org has an enabled one (the operator's
SMTP server, ``control_plane.smtp_*``), addressed to the person rather than to the channel's
recipients. The token is in the message and nowhere else: it is not queued as an alert
delivery, so no table holds it in clear. A failure is logged without the token and reported
to the caller as not delivered (the inviter still sees the token once).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from email.message import EmailMessage

from agentops.settings import ControlPlaneSettings
from control_plane.store import alerts
from control_plane.store.types import AsyncSession

log = logging.getLogger(__name__)


async def has_email_channel(session: AsyncSession, org_id: uuid.UUID) -> bool:
    channels = await alerts.list_enabled_channels(session, org_id)
    return any(channel.kind == "email" for channel in channels)


async def send_account_mail(cp: ControlPlaneSettings, to: str, subject: str, text: str) -> bool:
    """Send now (after the token's transaction committed); True when the server accepted it."""
    if cp.smtp_host is None:
        log.warning("account e-mail not sent: no SMTP server configured (control_plane.smtp_host)")
        return False
    message = EmailMessage()
    message["From"] = cp.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    try:
        await asyncio.to_thread(_send, cp, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("account e-mail not sent: %s", type(exc).__name__)
        return False
    return True


def _send(cp: ControlPlaneSettings, message: EmailMessage) -> None:
    assert cp.smtp_host is not None
    with smtplib.SMTP(cp.smtp_host, cp.smtp_port, timeout=cp.webhook_timeout_seconds) as client:
        client.send_message(message)


def invitation_text(org_name: str, token: str, hours: int) -> tuple[str, str]:
    return (
        f"[AgentOps] You are invited to {org_name}",
        f"You have been invited to the org {org_name} on AgentOps Hub.\n\n"
        f"Set your password with this single-use token (valid {hours} h):\n\n  {token}\n\n"
        "  agentops members accept --token <token>\n"
        '  or POST /api/v1/auth/accept-invite {"token": …, "password": …}\n',
    )


def reset_text(token: str, minutes: int) -> tuple[str, str]:
    return (
        "[AgentOps] Reset your password",
        "Someone asked to reset the password of this AgentOps Hub account. If it was not you,\n"
        "ignore this message.\n\n"
        f"Set a new password with this single-use token (valid {minutes} min):\n\n  {token}\n\n"
        '  POST /api/v1/auth/reset-password {"token": …, "password": …}\n',
    )
