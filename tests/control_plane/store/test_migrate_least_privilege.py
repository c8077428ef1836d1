"""Attack on the deployment: run ``serve`` with the least privilege it needs.

Before: a login role that is only a member of ``agentops_app`` could not start ``serve``
(permission denied for table alembic_version). Now migrations run as the owner role and
grant the application role read access to the schema revision, and ``serve`` runs as such a
login (its worker too) while that login still cannot change the schema.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from control_plane.store.migrate import sync_url
from tests.control_plane.serving import serve_env, serve_processes


def test_serve_runs_as_a_login_that_is_only_a_member_of_agentops_app(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    role = f"agentops_serve_{uuid.uuid4().hex[:12]}"  # roles are cluster-wide: unique, dropped
    owner = sa.create_engine(sync_url(pg_url), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN IN ROLE agentops_app"))
    app_url = make_url(pg_url).set(username=role, password=None).render_as_string(False)
    try:
        with serve_processes(serve_env(app_url, redis_url, tmp_path), tmp_path, worker=True) as (
            served,
        ):
            api = f"{served.url}/api/v1"
            body = {"email": "ops@example.com", "password": "correct horse", "org_name": "Ops"}
            assert httpx.post(f"{api}/auth/signup", json=body, timeout=10).status_code == 202
            token = httpx.post(
                f"{api}/auth/login",
                json={"email": body["email"], "password": body["password"]},
                timeout=10,
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            created = httpx.post(f"{api}/agents", json={"name": "bot"}, headers=headers, timeout=10)
            assert created.status_code == 201, created.text
            time.sleep(2.5)  # let the worker run its jobs a couple of times under this login
            log = served.log
        assert "permission denied" not in log.lower(), log
        as_app = sa.create_engine(sync_url(app_url))
        try:
            with (
                as_app.connect() as conn,
                pytest.raises(sa.exc.ProgrammingError, match=r"must be owner|permission denied"),
            ):
                conn.execute(sa.text("DROP TABLE alembic_version"))
        finally:
            as_app.dispose()
    finally:
        with owner.connect() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))
        owner.dispose()
