"""E-mail to a real relay: implicit TLS (SMTPS, port 465), STARTTLS, or plain; optional login.

``smtp_security``: ``auto`` (implicit TLS on port 465, otherwise STARTTLS whenever the server
offers it), ``tls``, ``starttls`` (refuses a server that does not offer it) or ``none``.
Credentials are never sent over a connection that is not encrypted, unless ``none`` says so.
A missing host or a refused login is a configuration error: retrying will not fix it, so the
delivery is dead-lettered at once with that reason (``DeliveryFailed.permanent``).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from control_plane.alerts.errors import DeliveryFailed

SECURITY_MODES = ("auto", "tls", "starttls", "none")


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int
    sender: str
    security: str = "auto"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # to trust a private relay's CA; default: the system's roots


def send_email(config: SmtpConfig, message: EmailMessage, timeout: float) -> None:
    """Send ``message`` (blocking: run it in a thread). Raises ``DeliveryFailed``."""
    if not config.host:
        raise DeliveryFailed(
            "configuration error: no SMTP server (set AGENTOPS_CONTROL_PLANE__SMTP_HOST)",
            permanent=True,
        )
    context = ssl.create_default_context(cafile=config.ca_file)
    implicit = config.security == "tls" or (config.security == "auto" and config.port == 465)
    client: smtplib.SMTP
    if implicit:
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=timeout)
    with client:
        encrypted = implicit or _starttls(client, config, context)
        if config.username:
            if not encrypted and config.security != "none":
                raise DeliveryFailed(
                    "configuration error: the SMTP server offers no TLS; refusing to send the "
                    "password in clear (smtp_security=none allows it)",
                    permanent=True,
                )
            try:
                client.login(config.username, config.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryFailed(
                    f"configuration error: SMTP login refused ({exc.smtp_code})", permanent=True
                ) from exc
        client.send_message(message)


def _starttls(client: smtplib.SMTP, config: SmtpConfig, context: ssl.SSLContext) -> bool:
    if config.security == "none":
        return False
    client.ehlo()
    if not client.has_extn("starttls"):
        if config.security == "starttls":
            raise DeliveryFailed("the SMTP server does not offer STARTTLS (smtp_security=starttls)")
        return False
    client.starttls(context=context)
    client.ehlo()
    return True
