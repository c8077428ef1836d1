"""From an empty PostgreSQL database to a bound agent key, the way docs/deployment.md says.

Attack on the deployment story: the first admin had no documented way in, and the docs
named options that do not exist. This runs the documented commands as processes: `agentops
migrate` as the owner role, `agentops admin bootstrap` (password on stdin, twice: it is
idempotent) and `agentops serve` as a login that is only a member of agentops_app, then uses
the owner's login and the agent key the bootstrap printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.control_plane.serving import SERVE_MAIN, serve_env, serve_processes
from tests.harness.servers import PgServer

PASSWORD = "first owner's password"


@pytest.fixture
def empty_database(pg_server: PgServer) -> Iterator[str]:
    name = f"agentops_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.database_url(name)
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def serve_login(pg_server: PgServer, empty_database: str) -> Iterator[str]:
    """A login that is only a member of agentops_app (roles are cluster-wide: unique, dropped)."""
    role = f"agentops_serve_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentops_app') "
            "THEN CREATE ROLE agentops_app NOLOGIN; END IF; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE agentops_app")
    try:
        yield make_url(empty_database).set(username=role, password=None).render_as_string(False)
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute(
                f'DROP DATABASE IF EXISTS "{make_url(empty_database).database}" WITH (FORCE)'
            )
            conn.execute(f"DROP ROLE {role}")


def _agentops(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_MAIN, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_from_an_empty_database_to_a_bound_agent_key(
    empty_database: str, serve_login: str, redis_url: str, tmp_path: Path
) -> None:
    owner_env = serve_env(empty_database, redis_url, tmp_path, AGENTOPS_CONTROL_PLANE__APP_ROLE="")
    assert "up to date" in _agentops(owner_env, "migrate")

    env = serve_env(serve_login, redis_url, tmp_path)
    bootstrap = ("admin", "bootstrap", "--org", "acme", "--email", "ops@acme.example",
                 "--password-stdin", "--agent", "support-bot")  # fmt: skip
    first = json.loads(_agentops(env, *bootstrap, stdin=PASSWORD + "\n"))
    assert first["org_created"] is True
    assert first["agent_key_created"] is True
    key = first["agent_key"]
    again = json.loads(_agentops(env, *bootstrap, stdin=PASSWORD + "\n"))
    assert (again["org_created"], again["agent_key_created"]) == (False, False)
    assert "agent_key" not in again  # shown once

    with serve_processes(env, tmp_path / "serve") as (served,):
        api = f"{served.url}/api/v1"
        login = {"email": "ops@acme.example", "password": PASSWORD}
        tokens = httpx.post(f"{api}/auth/login", json=login, timeout=10).json()
        assert (tokens["org_slug"], tokens["role"]) == ("acme", "owner")
        owner = {"Authorization": f"Bearer {tokens['access_token']}"}
        keys = httpx.get(f"{api}/api-keys", headers=owner, timeout=10).json()["items"]
        agents = httpx.get(f"{api}/agents", headers=owner, timeout=10).json()["items"]
        (bound,) = [k for k in keys if k["name"] == "support-bot-bootstrap"]
        assert bound["scopes"] == ["ingest"]
        assert bound["agent_id"] == next(a["id"] for a in agents if a["name"] == "support-bot")
        heartbeat = {"proxy_id": "p1", "versions": {}}
        beat = httpx.post(
            f"{api}/proxies/heartbeat", json=heartbeat, headers={"Authorization": f"Bearer {key}"}
        )
        assert beat.status_code == 200, beat.text


def test_bootstrap_refuses_a_password_on_the_command_line(tmp_path: Path) -> None:
    env = serve_env("sqlite+aiosqlite:///unused.db", None, tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SERVE_MAIN, "admin", "bootstrap", "--org", "a", "--email",
         "a@example.com", "--password", "in-argv"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "No such option '--password'" in done.stderr
