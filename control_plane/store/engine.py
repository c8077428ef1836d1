"""The database handle: engine, session factory, and org-scoped transactions.

A transaction is where tenancy is enforced on PostgreSQL: it switches to the application role
(so row-level security applies) and sets ``app.current_org``; both are ``LOCAL`` and vanish at
commit or rollback, so a pooled connection never carries one org's scope into another request.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from agentops.tasks import TaskSet


class Database:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        app_role: str | None = None,
        start_timeout_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.app_role = app_role
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Bounds the start of each transaction (checkout, pre-ping, first statement): a server
        # whose packets vanish turns into a TimeoutError (503) instead of a request that hangs.
        self.start_timeout_seconds = start_timeout_seconds
        self._abandoned = TaskSet("abandoned-transactions")

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self, org_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """One transaction, committed on success and rolled back on error.

        ``org_id`` None is for the pre-org paths (signup, login, credential lookup), which
        then call ``set_current_org`` once they know the org.

        Its start (pool checkout with pre-ping, first statements) is bounded by
        ``start_timeout_seconds``: past it the caller gets ``DatabaseUnavailable`` at once,
        and the stuck start is abandoned to a background task. Cancelling it in place would
        not be bounded: the driver then spends seconds more trying to cancel the query and
        close the connection through the same silent network.
        """
        session = self.sessions()
        opening = asyncio.ensure_future(self._begin(session, org_id))
        try:
            await asyncio.wait_for(asyncio.shield(opening), self.start_timeout_seconds)
        except TimeoutError:
            self._abandon(opening, session, "abandoned-transaction")
            raise DatabaseUnavailable(
                f"no answer from the database within {self.start_timeout_seconds} s"
            ) from None
        except BaseException:
            if opening.done():
                await session.close()
            else:  # cancelled while the start is in flight: it must finish before a close
                self._abandon(opening, session, "abandoned-transaction")
            raise
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()

    async def ping(self, timeout_seconds: float) -> None:
        """``SELECT 1`` within ``timeout_seconds`` (readiness), abandoned like a stuck start."""
        session = self.sessions()
        probe = asyncio.ensure_future(self._select_one(session))
        try:
            await asyncio.wait_for(asyncio.shield(probe), timeout_seconds)
        except TimeoutError:
            self._abandon(probe, session, "abandoned-ping")
            raise DatabaseUnavailable(f"no answer within {timeout_seconds} s") from None
        except BaseException:
            if not probe.done():  # cancelled while in flight: tracked, like a start
                self._abandon(probe, session, "abandoned-ping")
            raise

    @staticmethod
    async def _select_one(session: AsyncSession) -> None:
        async with session:
            await session.execute(text("SELECT 1"))

    async def _begin(self, session: AsyncSession, org_id: uuid.UUID | None) -> None:
        await session.begin()
        await session.connection()
        if self.is_postgres and self.app_role:
            role = self.engine.dialect.identifier_preparer.quote(self.app_role)
            await session.execute(text(f"SET LOCAL ROLE {role}"))
        if org_id is not None:
            await set_current_org(session, org_id)

    def _abandon(self, opening: asyncio.Future[None], session: AsyncSession, name: str) -> None:
        # PostgreSQL's start is cancelled: it may be waiting on a silent network. SQLite's (a
        # local file) finishes: cancelled while connecting, aiosqlite would leave the new
        # connection's thread running past ``dispose``.
        if self.is_postgres:
            opening.cancel()
        self._abandoned.spawn(_abandon(opening, session), name=name)

    async def dispose(self) -> None:
        # Abandoned starts are ending on their own (PostgreSQL's were cancelled already): they
        # get the start's own bound before they are cancelled. A cancel there cuts SQLAlchemy's
        # connection terminate short, and its graceful close then runs on unowned (on aiosqlite
        # it never ends, and neither did closing the loop).
        await self._abandoned.drain(self.start_timeout_seconds)
        await self.engine.dispose()


class DatabaseUnavailable(TimeoutError):
    """The database did not answer within the bound (the API turns it into a 503)."""


async def _abandon(opening: asyncio.Future[None], session: AsyncSession | None) -> None:
    """Let a stuck start end in its own time, then drop its connection without a rollback
    (which could wait on the same silent network), so nothing is left checked out."""
    try:
        with contextlib.suppress(BaseException):
            await opening
    finally:
        if session is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(session.invalidate())


async def set_current_org(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Scope the rest of this transaction to ``org_id`` (row-level security on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.set_config("app.current_org", str(org_id), True)))


def create_database(
    database_url: str,
    *,
    app_role: str | None = None,
    start_timeout_seconds: float | None = None,
    **engine_kw: Any,
) -> Database:
    engine = create_async_engine(database_url, **engine_kw)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return Database(engine, app_role=app_role, start_timeout_seconds=start_timeout_seconds)


def bounded_postgres_options(
    connect_timeout_seconds: float, statement_timeout_seconds: float
) -> dict[str, Any]:
    """Engine options that keep a dead or black-holed PostgreSQL from holding a request: libpq
    connect timeout, server-side statement timeout, TCP user timeout and keepalives (unanswered
    packets drop the connection), and a bounded wait for a pooled connection."""
    statement_ms = int(statement_timeout_seconds * 1000)
    return {
        "pool_timeout": connect_timeout_seconds,
        "connect_args": {
            "connect_timeout": max(2, math.ceil(connect_timeout_seconds)),
            "options": f"-c statement_timeout={statement_ms}",
            "tcp_user_timeout": statement_ms,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        },
    }


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one writer.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
