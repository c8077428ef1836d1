"""Password checks behind the failed-login limits, and the lockout alert.

Every path that checks a password a caller typed (login, password change) goes through
``guarded``: it refuses at once when the account or the client address is locked, counts a
failure on both when the password is wrong, and when an account has just been locked tells the
org's alert channels (every org the address belongs to). Counters are keyed by a hash of the
e-mail address, so an address that does not exist is limited exactly like one that does.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from agentops.settings import AuthSettings
from control_plane.auth.throttle import Counter, LoginThrottle
from control_plane.errors import RateLimitedError, UnauthorizedError
from control_plane.metrics import LOGIN_THROTTLED
from control_plane.services import alerts
from control_plane.store import users
from control_plane.store.engine import Database

log = logging.getLogger(__name__)


def counters(auth: AuthSettings, email: str, address: str) -> list[Counter]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [
        Counter("account", f"account:{account}", auth.login_failures_per_account),
        Counter("address", f"address:{address}", auth.login_failures_per_address),
    ]


async def guarded[T](
    throttle: LoginThrottle,
    database: Database,
    auth: AuthSettings,
    *,
    email: str,
    address: str,
    attempt: Callable[[], Awaitable[T]],
) -> T:
    keys = counters(auth, email, address)
    refusal = await throttle.check(keys)
    if refusal is not None:
        LOGIN_THROTTLED.labels(refusal.kind).inc()
        raise RateLimitedError(
            f"too many failed sign-ins for this {refusal.kind}; retry in {refusal.retry_after} s",
            code="too_many_failed_logins",
            details={"scope": refusal.kind, "retry_after_seconds": refusal.retry_after},
            headers={"Retry-After": str(refusal.retry_after)},
        )
    try:
        result = await attempt()
    except UnauthorizedError:
        reached = await throttle.fail(keys)
        if any(counter.kind == "account" for counter in reached):
            await _alert_lockout(database, auth, email, address)
        raise
    await throttle.clear(keys[0])
    return result


async def _alert_lockout(database: Database, auth: AuthSettings, email: str, address: str) -> None:
    async with database.transaction() as session:
        candidates = await users.list_login_candidates(session, email)
    payload = {
        "message": (
            f"sign-in locked for {email.lower()} after {auth.login_failures_per_account} "
            f"failed attempts (last from {address}); it unlocks in "
            f"{auth.login_window_seconds} s"
        ),
        "email": email.lower(),
        "client_address": address,
        "failed_attempts": auth.login_failures_per_account,
        "locked_seconds": auth.login_window_seconds,
    }
    for org_id in {candidate.org_id for candidate in candidates}:
        async with database.transaction(org_id) as session:
            await alerts.enqueue(session, org_id, "auth.lockout", payload)
    log.warning("login locked for an account after repeated failures (from %s)", address)
