"""Schema migrations: apply them (``upgrade``) and refuse to run on an unknown schema.

Alembic is configured in code, from files shipped inside the package, so an installed wheel
needs no ``alembic.ini``. Migration files are named ``YYYY_MM_DD_<rev>_<slug>.py``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaNotCurrentError(RuntimeError):
    """The database schema is not the one this code expects."""


def sync_url(database_url: str) -> str:
    """The synchronous twin of an async URL: psycopg 3 serves both; aiosqlite → pysqlite."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    return url.render_as_string(hide_password=False)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s",
    )
    # ConfigParser interpolation: a password containing '%' must be escaped.
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Apply every migration up to head (synchronous; run before the event loop serves)."""
    _ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), "heads")


def record_retention(database_url: str, months: int | None) -> bool:
    """Write the retention the database enforces (``control_plane.retention_months``): the app
    role's partition drop refuses any cutoff later than it allows (migration 0007). Runs as the
    migrating role, which owns the function; returns False on SQLite, which keeps everything."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return False
    if months is not None and months < 1:
        raise ValueError("retention_months must be at least 1")
    value = "NULL::integer" if months is None else f"{int(months)}::integer"
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "CREATE OR REPLACE FUNCTION public.agentops_retention_months() RETURNS integer "
                f"LANGUAGE sql STABLE AS $$ SELECT {value} $$"
            ))  # fmt: skip
    finally:
        engine.dispose()
    return True


def head_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return set(script.get_heads())


async def check_current(engine: AsyncEngine, role: str | None = None) -> None:
    """Raise ``SchemaNotCurrentError`` unless the database is exactly at head.

    ``role``: read as the application role (``SET LOCAL ROLE``), as ``serve`` does, so a
    login that is only a member of ``agentops_app`` can check (the migrations grant it
    SELECT on ``alembic_version``, nothing more).
    """
    async with engine.connect() as conn, conn.begin():
        if role and engine.dialect.name == "postgresql":
            quoted = engine.dialect.identifier_preparer.quote(role)
            await conn.execute(text(f"SET LOCAL ROLE {quoted}"))
        current = await conn.run_sync(_current_revisions)
    expected = head_revisions()
    if current != expected:
        found = ", ".join(sorted(current)) or "no schema"
        raise SchemaNotCurrentError(
            f"database schema is at {found} but this version of AgentOps Hub expects "
            f"{', '.join(sorted(expected))}; run `agentops migrate` to upgrade it"
        )


def _current_revisions(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
