"""Shared fixtures: real PostgreSQL and Redis, isolated per test.

- ``pg_url``: a fresh PostgreSQL database with every migration applied (cloned from a template
  made once per worker), dropped after the test.
- ``sqlite_url``: a fresh migrated SQLite file (the embedded store).
- ``store_url``: parametrized over both, for store tests that must hold on each engine.
- ``redis_url``: a Redis logical database of this worker, flushed before and after the test.
- ``cli_config_dir`` (autouse): the CLI's login file under the test's temp dir.
- ``make_settings``: a Settings factory rooted in a temp home, pointing at the above.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from _pytest.terminal import TerminalReporter

from agentops.settings import Settings, load_settings
from tests.fakeprovider.fixtures import fake_provider, fake_provider_thread  # noqa: F401
from tests.faults.harness import FIGURES_FILE
from tests.harness.databases import cloned_database, migrated_template
from tests.harness.servers import PgServer, postgres_server, redis_server


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    with migrated_template(pg_server, f"w{_worker_index()}") as name:
        yield name


@pytest.fixture
def pg_url(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    with cloned_database(pg_server, pg_template) as name:
        yield pg_server.database_url(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    from control_plane.store.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'agentops.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["postgresql", "sqlite"])
def store_url(request: pytest.FixtureRequest) -> str:
    fixture = "pg_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture(scope="session")
def redis_base_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A logical db (1-15; 0 is left to humans) held by this process alone for the session.

    Tests flush their db, so two test processes must never share one: xdist workers, and also
    two pytest runs on one machine. An exclusive lock file per db decides, across processes.
    """
    for offset in range(15):
        db = 1 + (_worker_index() + offset) % 15
        handle = open(Path(tempfile.gettempdir()) / f"agentops-test-redis-{db}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield db
        finally:
            handle.close()
        return
    raise RuntimeError("all 15 Redis test dbs are held by other test processes")


@pytest.fixture
def redis_url(redis_base_url: str, redis_db: int) -> Iterator[str]:
    url = f"{redis_base_url}/{redis_db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(autouse=True)
def cli_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's login file (click.get_app_dir) in the test's own directory, never the user's."""
    config = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings rooted in a temp home; keyword overrides use the Settings field names."""

    def factory(**overrides: Any) -> Settings:
        overrides.setdefault("home", tmp_path / "home")
        return load_settings(**overrides)

    return factory


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    """The fault scenarios' figures (tests/faults/), one line each, after the run."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    path = Path(factory.getbasetemp()) / FIGURES_FILE
    if not path.exists():
        return
    terminalreporter.section("fault scenarios")
    for line in path.read_text().splitlines():
        f = json.loads(line)
        terminalreporter.write_line(
            f"{f['scenario']}: answered {f['answered']}  stored {f['stored']}  "
            f"duplicated {f['duplicated']}  refused wrongly {f['refused_wrongly']}  "
            f"seconds to recover {f['seconds_to_recover']}  {f['extra']}"
        )
