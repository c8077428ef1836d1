"""Access tokens (short-lived JWT, HS256) and refresh tokens (random, stored as a hash).

Refresh tokens are 256-bit random strings, so a plain SHA-256 is enough to store them: there
is nothing to brute-force, unlike a human password, and a fast hash keeps lookup by hash an
indexed equality.

An access token names its login (``sid``, the refresh-token family) and the moment it was
issued in milliseconds (``iat_ms``), so that a logout, a detected refresh-token reuse or a
password change can end it at once: every request checks both against the store.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "agentops-hub"
REFRESH_PREFIX = "aor_"


class InvalidTokenError(Exception):
    """The access token is malformed, forged or expired (the message says which)."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    org_id: uuid.UUID
    session_id: uuid.UUID  # the login: its refresh-token family
    issued_at: datetime
    expires_at: datetime


def issue_access_token(
    secret: str,
    *,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    session_id: uuid.UUID,
    ttl_seconds: int,
    now: datetime,
) -> tuple[str, datetime]:
    expires = now + timedelta(seconds=ttl_seconds)
    claims = {
        "sub": str(user_id),
        "org": str(org_id),
        "sid": str(session_id),
        "iat_ms": int(now.timestamp() * 1000),
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, _signing_key(secret), algorithm=ALGORITHM), expires


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            _signing_key(secret),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "org", "sid", "iat_ms", "exp"]},
        )
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            org_id=uuid.UUID(claims["org"]),
            session_id=uuid.UUID(claims["sid"]),
            issued_at=datetime.fromtimestamp(int(claims["iat_ms"]) / 1000, UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("access token has expired; refresh it or log in again") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidTokenError("access token is not valid") from exc


def _signing_key(secret: str) -> bytes:
    # A fixed-length key derived from the configured secret, whatever its length: HS256 wants
    # at least 32 bytes, and the purpose label keeps this key distinct from any other use.
    return hashlib.sha256(b"agentops-access-token\x00" + secret.encode()).digest()


def new_refresh_token() -> tuple[str, str]:
    """A fresh refresh token and the hash under which it is stored."""
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
