"""Per-test PostgreSQL databases cloned from a migrated template (fast: a file copy)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.harness.servers import PgServer


def _admin(server: PgServer) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(server.admin_url, autocommit=True)


def drop_database(server: PgServer, name: str) -> None:
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_template(server: PgServer, tag: str) -> Iterator[str]:
    """Create a database with every migration applied, for cloning; dropped afterwards."""
    from control_plane.store.migrate import upgrade

    name = f"agentops_tmpl_{tag}_{uuid.uuid4().hex[:8]}"
    with _admin(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(server.database_url(name))
        # A template must have no open connections when it is cloned.
        with _admin(server) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        yield name
    finally:
        drop_database(server, name)


@contextmanager
def cloned_database(server: PgServer, template: str) -> Iterator[str]:
    name = f"agentops_t_{uuid.uuid4().hex[:12]}"
    with _admin(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield name
    finally:
        drop_database(server, name)
