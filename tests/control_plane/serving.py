"""Real ``agentops serve`` processes, configured only through ``AGENTOPS_*`` variables as in a
deployment, for tests that need several replicas or a particular database login."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.harness.ports import free_port

SECRET = "test-secret-key-that-is-long-enough-for-hs256"
SERVE_MAIN = "from cli.main import main; main()"


@dataclass
class ServeProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def serve_env(database_url: str, redis_url: str | None, home: Path, **extra: str) -> dict[str, str]:
    inherited = os.environ.items()  # noqa: TID251 (a child's environment, not our config)
    env = {k: v for k, v in inherited if not k.startswith("AGENTOPS_")}
    env |= {
        "AGENTOPS_HOME": str(home),
        "AGENTOPS_CONTROL_PLANE__DATABASE_URL": database_url,
        "AGENTOPS_CONTROL_PLANE__SECRET_KEY": SECRET,
        "AGENTOPS_CONTROL_PLANE__PASSWORD_HASH_FAST": "true",
        "AGENTOPS_CONTROL_PLANE__APP_ROLE": "agentops_app",
    }
    if redis_url is not None:
        env["AGENTOPS_CONTROL_PLANE__REDIS_URL"] = redis_url
    return env | extra


@contextmanager
def serve_processes(
    env: dict[str, str], home: Path, count: int = 1, *, worker: bool = False
) -> Iterator[list[ServeProcess]]:
    """Start ``count`` ``agentops serve`` replicas at once, each on a free port, and wait
    until every one answers /healthz."""
    home.mkdir(parents=True, exist_ok=True)
    started: list[ServeProcess] = []
    try:
        for _ in range(count):
            started.append(_start(env, home, worker))
        for served in started:
            _wait_healthy(served)
        yield started
    finally:
        for served in started:
            served.process.terminate()
        for served in started:
            try:
                served.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                served.process.kill()
                served.process.wait()


def _start(env: dict[str, str], home: Path, worker: bool) -> ServeProcess:
    port = free_port()
    log_path = home / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE_MAIN, "serve", "--port", str(port)]
            + ([] if worker else ["--no-worker"]),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ServeProcess(f"http://127.0.0.1:{port}", process, log_path)


def _wait_healthy(served: ServeProcess) -> None:
    deadline = time.monotonic() + 60  # a safety net against a hung start, not a speed check
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"serve exited with {served.process.returncode}:\n{served.log}")
        try:
            if httpx.get(served.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"serve did not become healthy:\n{served.log}")
