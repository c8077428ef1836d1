"""The pure part of API keys: ``aoh_<public id>_<secret>``, parsed and checked.

Shared by the control plane (which issues and checks keys) and the proxy (which checks them
against the key directory): neither imports the other. The public id (12 chars) finds the key;
the secret (256 random bits) proves possession and is only ever stored as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "aoh_"
_KEY_RE = re.compile(r"^aoh_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(public id, secret) of a well-formed key, else None."""
    match = _KEY_RE.match(token)
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of the secret's hash with the stored one."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
