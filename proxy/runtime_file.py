"""Where the running proxy listens, for the commands that point agents at it.

``agentops up`` and ``agentops proxy`` take their ports from options as well as settings, so
``agentops ca env`` and ``agentops run`` cannot know them from the settings alone: the running
proxy writes ``<home>/proxy-runtime.json`` once it listens and removes it when it stops. A file
left by a proxy that died (its pid is gone) is ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "proxy-runtime.json"


@dataclass(frozen=True, slots=True)
class RunningProxy:
    pid: int
    host: str
    port: int
    ca_dir: str
    reverse_port: int | None = None
    admin_port: int | None = None


def runtime_path(home: Path) -> Path:
    return home / FILE_NAME


def write_runtime(home: Path, running: RunningProxy) -> Path:
    path = runtime_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{FILE_NAME}.{running.pid}.tmp")
    tmp.write_text(json.dumps(asdict(running)))
    tmp.replace(path)
    return path


def remove_runtime(home: Path, pid: int) -> None:
    """Remove the file if it is still ours (another proxy may have started on this home)."""
    found = read_runtime(home, check_alive=False)
    if found is not None and found.pid == pid:
        runtime_path(home).unlink(missing_ok=True)


def read_runtime(home: Path, check_alive: bool = True) -> RunningProxy | None:
    try:
        raw = json.loads(runtime_path(home).read_text())
        running = RunningProxy(**raw)
    except (OSError, ValueError, TypeError):
        return None
    if check_alive and not _alive(running.pid):
        return None
    return running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
