"""Find the PostgreSQL and Redis servers the tests use, or start throwaway ones.

Order: ``AGENTOPS_TEST_DATABASE_URL`` / ``AGENTOPS_TEST_REDIS_URL``; else 127.0.0.1:5432 and
:6379; else, when the server binaries are installed, a private instance in a temp directory on a
free port (stopped at the end of the session); else a failure that says what to install.
Integration tests never skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import redis

from tests.harness.ports import free_port


class ServerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class PgServer:
    """libpq URL of a maintenance database on a server where we may create databases."""

    admin_url: str

    def database_url(self, name: str, driver: str = "postgresql+psycopg") -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base.replace('postgresql', driver, 1)}/{name}"


def _pg_reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    matches = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return matches[-1] if matches else None


@contextmanager
def postgres_server() -> Iterator[PgServer]:
    url = os.environ.get(
        "AGENTOPS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    url = url.replace("postgresql+psycopg://", "postgresql://")
    if _pg_reachable(url):
        yield PgServer(url)
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise ServerUnavailable(
            f"PostgreSQL is not reachable at {url} and no server binaries are installed. "
            "Install PostgreSQL (Debian: apt-get install postgresql) or set AGENTOPS_TEST_DATABASE_URL."
        )
    tmp = tempfile.mkdtemp(prefix="agentops-pg-")
    port = free_port()
    subprocess.run(
        [initdb, "-D", tmp, "-U", "postgres", "--auth=trust"], check=True, capture_output=True
    )
    subprocess.run(
        [
            pg_ctl,
            "-D",
            tmp,
            "-o",
            f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run([pg_ctl, "-D", tmp, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _redis_reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
        return True
    except redis.RedisError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """Yields a Redis base URL without a db number."""
    url = os.environ.get("AGENTOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    url = url.rstrip("/")
    if url.rsplit("/", 1)[-1].isdigit() and url.count("/") > 2:
        url = url.rsplit("/", 1)[0]
    if _redis_reachable(url):
        yield url
        return
    binary = shutil.which("redis-server")
    if not binary:
        raise ServerUnavailable(
            f"Redis is not reachable at {url} and redis-server is not installed. "
            "Install Redis (Debian: apt-get install redis-server) or set AGENTOPS_TEST_REDIS_URL."
        )
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not _redis_reachable(local):
        if time.monotonic() > deadline:
            proc.kill()
            raise ServerUnavailable("started redis-server but it did not answer within 10 s")
        time.sleep(0.05)
    try:
        yield local
    finally:
        proc.terminate()
        proc.wait(timeout=10)
