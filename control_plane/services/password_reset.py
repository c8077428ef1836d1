"""Password reset by e-mail: the same answer whether or not the address has an account.

``request`` always answers alike (the caller sees only ``ANSWER``); when the address belongs
to a member whose org has an e-mail channel it issues a reset token and mails it from a
background task, so the SMTP round trip does not make a known address answer slower than an
unknown one. Requests are limited per address (a few a minute, silently), so the endpoint
cannot be used to flood someone's mailbox.
"""

from __future__ import annotations

import hashlib
import logging

from agentops.settings import ControlPlaneSettings
from agentops.tasks import TaskSet
from control_plane.ratelimit import RateLimiter
from control_plane.services import account_mail, credentials
from control_plane.store import users
from control_plane.store.engine import Database, set_current_org

log = logging.getLogger(__name__)

ANSWER = (
    "if this address has an account and its org can send e-mail, a reset token is on its "
    "way; otherwise ask an org admin to issue one"
)
REQUESTS_PER_MINUTE = 3


async def request(
    database: Database, limiter: RateLimiter, tasks: TaskSet, cp: ControlPlaneSettings, email: str
) -> None:
    email = email.strip().lower()
    key = "password-reset:" + hashlib.sha256(email.encode()).hexdigest()[:32]
    if await limiter.hit(key, REQUESTS_PER_MINUTE) is not None:
        return
    token = None
    async with database.transaction() as session:
        candidates = await users.list_login_candidates(session, email)
        if candidates:
            first = candidates[0]
            await set_current_org(session, first.org_id)
            if await account_mail.has_email_channel(session, first.org_id):
                token, _ = await credentials.issue_account_token(
                    session, first.org_id, first.user_id, "reset", cp.auth.reset_ttl_seconds
                )
    if token is not None:
        subject, text = account_mail.reset_text(token, cp.auth.reset_ttl_seconds // 60)
        tasks.spawn(
            account_mail.send_account_mail(cp, email, subject, text), name="password-reset-mail"
        )
