"""Streamed calls still open, kept beside the spool so a crash cannot leave them open forever.

When a streamed call's ``in_progress`` record is written, its document is also appended to the
journal ``<spool>/open/journal`` as ``+<document>``; the call's final record appends
``-<call_id>``. A proxy killed mid-stream (``kill -9``, OOM) leaves a journal behind, and the
next start on the same spool turns each call added and not removed into a final record with
status ``interrupted`` (tokens and cost as the ``in_progress`` record knew them: the prompt
estimate), appends it to the spool and removes the journal, before any call is served. Like
the spool's own lines, a journal line whose ``write`` returned survives a killed process (the
kernel holds it); a torn line is logged and skipped.

One ``write`` per event on one open file, instead of a file created and unlinked per stream
(~0.2 ms of the loop's CPU per stream here). The journal is rewritten with only the calls
still open (``rename``, atomic) once it passes both ``compact_bytes`` and twice the size of
what it would keep. Files of an earlier version (``<call_id>.json``, one per open call) are
finalised the same way.
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
JOURNAL = "journal"
COMPACT_BYTES = 4 << 20


class Appender(Protocol):
    def append_json(self, document: bytes) -> int | None: ...


class OpenCalls:
    def __init__(self, spool_dir: Path, compact_bytes: int = COMPACT_BYTES) -> None:
        self.directory = spool_dir / OPEN_DIR
        self._compact_bytes = compact_bytes
        self._open: dict[str, bytes] = {}  # call id -> its latest document
        self._live = 0  # bytes of the lines a rewrite would keep (the open calls' documents)
        self._fd: int | None = None
        self._size = 0

    def add(self, call_id: str, document: bytes) -> None:
        """Open (or update: a later document supersedes) the call's entry."""
        self._append(b"+" + document + b"\n")
        previous = self._open.get(call_id)
        self._live += len(document) + 2 - (len(previous) + 2 if previous is not None else 0)
        self._open[call_id] = document

    def remove(self, call_id: str) -> None:
        document = self._open.pop(call_id, None)
        if document is not None:
            self._live -= len(document) + 2
            self._append(b"-" + call_id.encode() + b"\n")

    @property
    def journal_bytes(self) -> int:
        return self._size

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _append(self, line: bytes) -> None:
        # Rewritten once it is mostly superseded lines: past compact_bytes, and past twice what
        # a rewrite keeps, so that many open calls (more than compact_bytes of them) do not
        # make every line a rewrite.
        if self._fd is None or self._size + len(line) > max(self._compact_bytes, 2 * self._live):
            self._rewrite()
        assert self._fd is not None
        os.write(self._fd, line)
        self._size += len(line)

    def _rewrite(self) -> None:
        """A fresh journal holding only the calls open now, swapped in atomically."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = self.directory / f"{JOURNAL}.new"
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        body = b"".join(b"+" + document + b"\n" for document in self._open.values())
        try:
            if body:
                os.write(fd, body)
            os.replace(fresh, self.directory / JOURNAL)
        except BaseException:
            os.close(fd)
            raise
        self.close()
        self._fd, self._size = fd, len(body)

    def finalise(self, spool: Appender, now: datetime | None = None) -> int:
        """Spool an ``interrupted`` record for every call a previous process left open;
        returns how many. Runs at start, after the spool is open and before calls are served."""
        if not self.directory.is_dir():
            return 0
        ended = now or datetime.now(UTC)
        done = 0
        for document in self._left_open():
            if spool.append_json(_interrupted(document, ended)) is not None:
                done += 1
        for path in (self.directory / JOURNAL, self.directory / f"{JOURNAL}.new"):
            path.unlink(missing_ok=True)
        if done:
            log.warning(
                "calls cut by a proxy crash finalised as interrupted", extra={"calls": done}
            )
        return done

    def _left_open(self) -> list[dict[str, Any]]:
        left: dict[str, dict[str, Any]] = {}
        journal = self.directory / JOURNAL
        with contextlib.suppress(FileNotFoundError):
            for line in journal.read_bytes().splitlines():
                if line.startswith(b"-"):
                    left.pop(line[1:].decode("utf-8", "replace"), None)
                    continue
                document = _document(line[1:] if line.startswith(b"+") else line, journal.name)
                if document is not None:
                    left[str(document.get("call_id"))] = document
        for path in sorted(self.directory.glob("*.json")):  # an earlier version's files
            with contextlib.suppress(FileNotFoundError):
                document = _document(path.read_bytes(), path.name)
                if document is not None:
                    left.setdefault(str(document.get("call_id")), document)
            path.unlink(missing_ok=True)
        return list(left.values())


def _document(raw: bytes, source: str) -> dict[str, Any] | None:
    try:
        document = json.loads(raw)
    except ValueError as exc:
        log.error("unreadable open-call entry skipped", extra={"file": source, "error": str(exc)})
        return None
    if not isinstance(document, dict):
        log.error("unreadable open-call entry skipped", extra={"file": source})
        return None
    return document


def _interrupted(document: dict[str, Any], ended: datetime) -> bytes:
    document["status"] = CallStatus.INTERRUPTED.value
    document["ended_at"] = ended.isoformat()
    document["error_type"] = document.get("error_type") or "proxy_restarted"
    document["error_message"] = document.get("error_message") or (
        "the proxy stopped during this call; tokens and cost are the estimate known at its start"
    )
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
