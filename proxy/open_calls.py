"""Streamed calls still open, kept beside the spool so a crash cannot leave them open forever.

When a streamed call's ``in_progress`` record is written, its document is also written to
``<spool>/open/<call_id>.json``; the call's final record removes it. A proxy killed mid-stream
(``kill -9``, OOM) leaves those files behind, and the next start on the same spool turns each
into a final record with status ``interrupted`` (tokens and cost as the ``in_progress`` record
knew them: the prompt estimate), appends it to the spool and removes the file, before any call
is served. Like the spool's own lines, a file whose ``write`` returned survives a killed
process (the kernel holds it); a torn or unreadable file is logged and removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from agentops.wire.record import CallStatus

log = logging.getLogger(__name__)

OPEN_DIR = "open"


class Appender(Protocol):
    def append_json(self, document: bytes) -> int | None: ...


class OpenCalls:
    def __init__(self, spool_dir: Path) -> None:
        self.directory = spool_dir / OPEN_DIR
        self._prefix = os.path.join(self.directory, "")

    def _path(self, call_id: str) -> str:
        # A string, not a Path: pathlib interns every part of a path it parses, and on CPython
        # 3.12 an interned string is never freed, so a Path per call id kept ~130 bytes per
        # streamed call for the life of the process (a soak's slow growth).
        return f"{self._prefix}{call_id}.json"

    def add(self, call_id: str, document: bytes) -> None:
        try:
            fd = os.open(self._path(call_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self._path(call_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, document)
        finally:
            os.close(fd)

    def remove(self, call_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(call_id))

    def finalise(self, spool: Appender, now: datetime | None = None) -> int:
        """Spool an ``interrupted`` record for every call a previous process left open;
        returns how many. Runs at start, after the spool is open and before calls are served."""
        if not self.directory.is_dir():
            return 0
        ended = now or datetime.now(UTC)
        done = 0
        for path in sorted(self.directory.glob("*.json")):
            try:
                document = json.loads(path.read_bytes())
            except (OSError, ValueError) as exc:
                log.error(
                    "unreadable open-call file removed",
                    extra={"file": path.name, "error": str(exc)},
                )
                path.unlink(missing_ok=True)
                continue
            if spool.append_json(_interrupted(document, ended)) is not None:
                done += 1
            path.unlink(missing_ok=True)
        if done:
            log.warning(
                "calls cut by a proxy crash finalised as interrupted", extra={"calls": done}
            )
        return done


def _interrupted(document: dict[str, Any], ended: datetime) -> bytes:
    document["status"] = CallStatus.INTERRUPTED.value
    document["ended_at"] = ended.isoformat()
    document["error_type"] = document.get("error_type") or "proxy_restarted"
    document["error_message"] = document.get("error_message") or (
        "the proxy stopped during this call; tokens and cost are the estimate known at its start"
    )
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
