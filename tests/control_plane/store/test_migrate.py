"""Migrations reach head on both engines, match the models, and the app refuses a stale schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from agentops.settings import Settings
from control_plane.app import create_app
from control_plane.store.engine import create_database
from control_plane.store.migrate import (
    MIGRATIONS_DIR,
    SchemaNotCurrentError,
    check_current,
    sync_url,
)
from control_plane.store.tables import Base


def test_sync_url_derives_the_synchronous_driver() -> None:
    assert sync_url("postgresql+psycopg://u:p%25w@h:5/db") == "postgresql+psycopg://u:p%25w@h:5/db"
    assert sync_url("sqlite+aiosqlite:////tmp/x.db") == "sqlite+pysqlite:////tmp/x.db"


def test_migration_files_have_dated_names() -> None:
    names = [p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")]
    assert names
    for name in names:
        assert name[:11].replace("_", "").isdigit(), name


def test_migrations_match_the_models(store_url: str) -> None:
    engine = create_engine(sync_url(store_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


async def test_check_current_accepts_a_migrated_database(store_url: str) -> None:
    db = create_database(store_url)
    await check_current(db.engine)
    await db.dispose()


async def test_an_unmigrated_database_is_refused_with_a_hint(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    db = create_database(url)
    with pytest.raises(SchemaNotCurrentError, match="agentops migrate"):
        await check_current(db.engine)
    await db.dispose()
    runner = web.AppRunner(create_app(make_settings(control_plane={"database_url": url})))
    with pytest.raises(SchemaNotCurrentError, match="no schema"):
        await runner.setup()
    await runner.cleanup()
