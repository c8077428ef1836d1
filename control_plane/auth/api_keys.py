"""API keys: ``aoh_<public id>_<secret>``.

The public id (random, 12 chars) finds the row; the secret (256 random bits) proves
possession. The secret is stored as a SHA-256: argon2 exists to slow down guessing of
low-entropy human passwords, and a 256-bit random secret cannot be guessed, so a fast hash
keeps every API request cheap while a stolen table still yields no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "aoh_"
_PUBLIC_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_KEY_RE = re.compile(r"^aoh_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewApiKey:
    token: str  # shown once to the creator, never stored
    public_id: str
    secret_hash: str

    @property
    def display_prefix(self) -> str:
        return f"{PREFIX}{self.public_id}"


def generate_api_key() -> NewApiKey:
    public_id = "".join(secrets.choice(_PUBLIC_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return NewApiKey(f"{PREFIX}{public_id}_{secret}", public_id, hash_secret(secret))


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(public id, secret) of a well-formed key, else None."""
    match = _KEY_RE.match(token)
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
