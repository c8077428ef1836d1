"""Password hashing with argon2id.

Hashing is deliberately slow (that is its job), so callers run it in a worker thread to keep
the event loop serving. ``fast`` exists only so test suites can create many users quickly.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# A valid hash of a random password, verified when the e-mail is unknown so that a login
# for a missing account costs the same time as one with a wrong password.
_DUMMY_PASSWORD = "agentops-timing-equaliser"


class Passwords:
    def __init__(self, *, fast: bool = False) -> None:
        if fast:
            self._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        else:
            self._hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy = self._hasher.hash(_DUMMY_PASSWORD)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, encoded: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, encoded, password)

    def _verify(self, encoded: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(encoded or self._dummy, password) and encoded is not None
        except (VerificationError, InvalidHashError):
            return False
