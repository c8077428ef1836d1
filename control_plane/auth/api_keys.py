"""API keys: ``aoh_<public id>_<secret>``.

The public id (random, 12 chars) finds the row; the secret (256 random bits) proves
possession. The secret is stored as a SHA-256: argon2 exists to slow down guessing of
low-entropy human passwords, and a 256-bit random secret cannot be guessed, so a fast hash
keeps every API request cheap while a stolen table still yields no usable key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from agentops.apikeys import PREFIX, hash_secret, parse_api_key, secret_matches

__all__ = [
    "PREFIX",
    "NewApiKey",
    "generate_api_key",
    "hash_secret",
    "parse_api_key",
    "secret_matches",
]

_PUBLIC_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


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
