"""Password hashing with argon2id, bounded so a login flood cannot starve the API.

Hashing is deliberately slow (that is its job), so it runs in a worker thread, and at most
``concurrency`` hashes run at once per process: argon2 takes a core each, and unbounded
parallel hashing left no CPU for the event loop (``/healthz`` p50 went from <40 ms to 399 ms
under 8 parallel logins). The hashing threads run niced, so the loop wins a contended core.
Up to ``queue`` more wait their turn; beyond that ``PasswordsBusy``
is raised and the caller answers 503 with Retry-After. ``fast`` exists only so test suites can
create many users quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from control_plane.errors import UnavailableError
from control_plane.metrics import PASSWORD_HASH_REJECTED

# A valid hash of a random password, verified when the e-mail is unknown so that a login
# for a missing account costs the same time as one with a wrong password.
_DUMMY_PASSWORD = "agentops-timing-equaliser"
HASH_THREAD_NICE = 10


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
        self._executor = ThreadPoolExecutor(
            concurrency, thread_name_prefix="password-hash", initializer=_lower_priority
        )
        self._admitted = 0
        self._bound = concurrency + queue

    async def hash(self, password: str) -> str:
        async with self._slot():
            return await self._run(self._hasher.hash, password)

    async def verify(self, encoded: str | None, password: str) -> bool:
        """Whether ``password`` matches ``encoded``; a None hash costs the same and is False."""
        async with self._slot():
            return await self._run(self._verify, encoded, password)

    async def _run[**P, R](self, fn: Callable[P, R], *args: P.args, **kw: P.kwargs) -> R:
        call = functools.partial(fn, *args, **kw)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        """Drop the queued hashes and wait for the running ones (at most ``concurrency``), so
        that no hashing thread outlives the service."""
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)

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


def _lower_priority() -> None:
    """Run hashing threads at a lower CPU priority than the event loop (Linux: per thread),
    so that when cores are short, serving requests wins over checking passwords."""
    # Not permitted or not supported here: the concurrency bound still holds.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICE)
