"""Password hashing with argon2id, bounded so a login flood cannot starve the API.

Hashing is deliberately slow (that is its job), so it runs in a worker thread, and at most
``concurrency`` hashes run at once per process: argon2 takes a core each, and unbounded
parallel hashing left no CPU for the event loop (``/healthz`` p50 went from <40 ms to 399 ms
under 8 parallel logins). Up to ``queue`` more wait their turn; beyond that ``PasswordsBusy``
is raised and the caller answers 503 with Retry-After. ``fast`` exists only so test suites can
create many users quickly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from control_plane.errors import UnavailableError
from control_plane.metrics import PASSWORD_HASH_REJECTED

# A valid hash of a random password, verified when the e-mail is unknown so that a login
# for a missing account costs the same time as one with a wrong password.
_DUMMY_PASSWORD = "agentops-timing-equaliser"


class PasswordsBusy(UnavailableError):
    """Too many password hashes are already running or waiting."""

    def __init__(self) -> None:
        super().__init__(
            "too many sign-ins are being checked right now; retry in a second",
            code="auth_busy",
            headers={"Retry-After": "1"},
        )


class Passwords:
    def __init__(self, *, fast: bool = False, concurrency: int = 1, queue: int = 16) -> None:
        if fast:
            self._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        else:
            self._hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
        self._slots = asyncio.Semaphore(concurrency)
        self._admitted = 0
        self._bound = concurrency + queue

    async def hash(self, password: str) -> str:
        async with self._slot():
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, encoded: str | None, password: str) -> bool:
        """Whether ``password`` matches ``encoded``; a None hash costs the same and is False."""
        async with self._slot():
            return await asyncio.to_thread(self._verify, encoded, password)

    def _verify(self, encoded: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(encoded or self._dummy, password) and encoded is not None
        except (VerificationError, InvalidHashError):
            return False

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        # Counted from the moment a hash queues until it is done.
        if self._admitted >= self._bound:
            PASSWORD_HASH_REJECTED.inc()
            raise PasswordsBusy
        self._admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self._admitted -= 1
