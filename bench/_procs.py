"""Server processes for the benchmark: start pinned with ``taskset``, read their readiness line,
sample CPU time and resident memory from ``/proc``, stop them.

RSS is summed over the process and its descendants (LiteLLM's CLI may fork); CPU is read for the
process itself and, apart, for its descendants (the proxy's OpenTelemetry exporter process).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    info: dict[str, Any]
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time of the server process itself and of its descendants."""
        own, *descendants = _tree(self.pid)
        return _cpu(own), sum(_cpu(pid) for pid in descendants)

    def runqueue_wait_seconds(self) -> float:
        """Time the main thread (the event loop) spent runnable but not running: starved of
        its core by other processes (``/proc/<pid>/schedstat``)."""
        try:
            return int(Path(f"/proc/{self.pid}/schedstat").read_text().split()[1]) / 1e9
        except OSError:
            return 0.0

    def rss_mib(self) -> float:
        return sum(_rss_pages(pid) for pid in _tree(self.pid)) * _PAGE / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start(
    name: str,
    argv: list[str],
    core: int,
    log_path: Path,
    *,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> Server:
    """Start ``argv`` pinned to ``core`` and wait for the JSON line it prints when ready;
    ``env``: variables added to this process's for it."""
    log = log_path.open("wb")
    proc = subprocess.Popen(
        ["taskset", "-c", str(core), *argv],
        stdout=subprocess.PIPE,
        stderr=log,
        env={**os.environ, **env} if env else None,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the runners print one JSON line when listening
    if not line:
        proc.wait(timeout)
        raise RuntimeError(f"{name} exited before it was ready; see {log_path}")
    return Server(name, proc, json.loads(line), log)


def start_litellm(
    venv: Path, config: Path, port: int, core: int, log_path: Path, *, timeout: float = 120
) -> Server:
    """LiteLLM's proxy: one worker, no database; ready when /health/liveliness answers."""
    log = log_path.open("wb")
    argv = [str(venv / "bin" / "litellm"), "--config", str(config)]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    env = {**os.environ, "LITELLM_LOG": "ERROR", "DISABLE_SCHEMA_UPDATE": "true"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        ["taskset", "-c", str(core), *argv], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/health/liveliness"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"LiteLLM exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return Server("litellm", proc, {"reverse": ["127.0.0.1", port]}, log)
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"LiteLLM not ready after {timeout:.0f}s; see {log_path}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in _ls(f"/proc/{p}/task"):
            try:
                children = Path(f"/proc/{p}/task/{task}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(c) for c in children)
    return pids


def _ls(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _rss_pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0
