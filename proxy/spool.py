"""The durable local spool: every call record lands on disk before anything else happens to it.

Two guarantees, at two moments:

- **written**: ``append`` returns once the record's line is in the segment file (the kernel's
  page cache). From then on a crash, ``kill -9`` or OOM-kill of the proxy cannot lose it: the
  kernel still holds the data and writes it out. This costs one ``write`` syscall on the caller's
  thread (microseconds), which is why the record step can afford it before every response.
- **durable**: once the ``spooled`` counter has counted it (equivalently, once
  ``wait_durable(seq)``/``until_durable(seq)`` returned) its line is also ``fsync``'d, so a
  kernel crash or power loss cannot lose it either. A syncer thread fsyncs whatever has been
  written since its last pass (group commit: one fsync is shared by every record written
  meanwhile), then pauses ``fsync_interval`` unless someone waits for durability, so a record
  is durable within about that interval plus one fsync. Only durable records are handed to
  the shipper.

Records live in append-only segment files of JSON lines; the shipper reads batches
(``read_batch``) and acknowledges them (``ack``), which persists the ack position and deletes
fully acknowledged segments. Recovery cuts a torn last line. At-least-once: a batch delivered
but not yet acknowledged when the process dies is delivered again.

When the unacknowledged data would exceed ``max_bytes``: ``drop_oldest`` deletes the oldest
segments, ``drop_newest`` drops the incoming record, ``refuse_calls`` drops it too and reports
``refusing`` so the gate refuses new calls until the shipper catches up. Every dropped record
(also one the disk refused, e.g. when full) is counted
(``agentops_proxy_spool_dropped_records_total``) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from proxy import metrics
from proxy._spoolfiles import (
    Position,
    fsync_dir,
    list_segments,
    load_ack,
    read_lines,
    recover_segment,
    segment_path,
    store_ack,
)

log = logging.getLogger(__name__)

FullMode = Literal["drop_oldest", "drop_newest", "refuse_calls"]
_RETRY_FSYNC_SECONDS = 0.5  # after a failed fsync (the disk is in trouble), try again this late
_REFUSE_MARGIN = 64 * 1024  # refuse_calls starts refusing this close to the cap


@dataclass(frozen=True, slots=True)
class BatchToken:
    """What ``read_batch`` handed out; ``ack`` it once the batch is delivered."""

    start: Position
    end: Position
    lines: int


class Spool:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        full_mode: FullMode = "drop_oldest",
        segment_bytes: int | None = None,
        fsync_interval: float = 0.0,
    ) -> None:
        self.directory = directory
        self._fsync_interval = fsync_interval
        self._max = max_bytes
        self._mode: FullMode = full_mode
        self._segment_bytes = segment_bytes or max(64 * 1024, min(16 << 20, max_bytes // 8))
        self._lock = threading.Lock()
        self._durable = threading.Condition(self._lock)  # spooled advanced
        self._written = threading.Condition(self._lock)  # something for the syncer to fsync
        self._hurry = threading.Event()  # someone waits for a fsync: skip the interval
        self._syncer_idle = False  # the syncer waits on ``_written`` (lock held to read it)
        # A lower bound of the room left under ``max_bytes`` (acks only add room): appends
        # spend it, and only one that finds too little sums the segments again.
        self._room = 0
        # Event-loop callers waiting for a sequence number to be fsync'd (``until_durable``).
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._ack_file_lock = threading.Lock()
        self._sizes: dict[int, int] = {}  # written bytes per live segment
        self._lines: dict[int, int] = {}  # written lines per live segment
        self._durable_sizes: dict[int, int] = {}  # fsync'd bytes per live segment (shipper)
        self._ack = Position(0, 0, 0)
        self._write_segment = 0
        self._fd: int | None = None  # the write segment, O_APPEND
        self._unsynced_fds: list[int] = []  # rotated-away segments the syncer still owes a fsync
        self._dirent_unsynced = False  # a segment file was created since the last fsync
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._seq = 0  # records written by append since open
        self.spooled = 0  # records made durable (fsync'd) since open
        self.dropped = 0

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        if self._thread is not None:
            return  # already open (the backlog was shipped before the proxy started)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        segments = list_segments(self.directory)
        ack = load_ack(self.directory) or Position(segments[0] if segments else 0, 0, 0)
        for index in segments:
            if index < ack.segment:
                segment_path(self.directory, index).unlink()
            else:
                # recovered data may still be only in the page cache of a killed predecessor
                self._sizes[index], self._lines[index] = recover_segment(
                    segment_path(self.directory, index), fsync=True
                )
        self._durable_sizes = dict(self._sizes)
        self._write_segment = max([ack.segment - 1, *self._sizes]) + 1
        self._ack = _clamp(ack, self._sizes, self._lines, self._write_segment)
        self._stopping = False
        with self._lock:
            self._room = 0  # summed again by the first append
            self._open_segment(self._write_segment)
        self._thread = threading.Thread(target=self._run, name="agentops-spool", daemon=True)
        self._thread.start()
        self._publish_gauges()

    def close(self, timeout: float = 10.0) -> None:
        """Fsync everything appended so far, then stop the syncer."""
        if self._thread is None:
            return
        with self._lock:
            self._stopping = True
            self._written.notify()
        self._hurry.set()
        self._thread.join(timeout)
        self._thread = None
        with self._lock:
            for fd in [*self._unsynced_fds, *([self._fd] if self._fd is not None else [])]:
                os.close(fd)
            self._unsynced_fds, self._fd = [], None

    # -- hot path --------------------------------------------------------------------------

    def append(self, record: Mapping[str, Any]) -> int | None:
        """Write a record; returns its sequence number, or None when it was dropped."""
        return self.append_json(
            json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
        )

    def append_json(self, document: bytes) -> int | None:
        """Write a record already serialised as one JSON document (no newline inside); returns
        its sequence number, or None when it was dropped (cap reached, or the disk refused).
        One ``write`` per record, under the lock (hot path: the record step of every call)."""
        line = document + b"\n"
        size = len(line)
        with self._lock:
            fd = self._fd
            if self._thread is None or fd is None:
                raise RuntimeError("spool is not open")
            if size > self._room:
                self._room = self._max - self._pending_bytes()
                if size > self._room:
                    if self._mode == "drop_oldest":
                        self._drop_oldest(size)
                        self._room = self._max - self._pending_bytes()
                    if size > self._room:
                        self._count_dropped(1)
                        return None
            segment = self._write_segment
            try:
                if self._sizes[segment] >= self._segment_bytes:
                    fd = self._open_segment(segment + 1)
                    segment = self._write_segment
                written = os.write(fd, line)
                if written < size:
                    _write_all(fd, line[written:])
            except OSError as exc:  # disk full, I/O error: the call goes on, the record is lost
                log.error("spool write failed", extra={"error": str(exc)})
                # A partial line would shift every later record off the sizes we keep.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._sizes[segment])
                self._count_dropped(1)
                return None
            self._seq += 1
            self._room -= size
            self._sizes[segment] += size
            self._lines[segment] += 1
            if self._syncer_idle:
                self._syncer_idle = False
                self._written.notify()
            return self._seq

    @property
    def refusing(self) -> bool:
        """Full in ``refuse_calls`` mode: the gate refuses calls until the shipper drains it."""
        if self._mode != "refuse_calls":
            return False
        with self._lock:
            return self._pending_bytes() + _REFUSE_MARGIN > self._max

    async def until_durable(self, seq: int) -> None:
        """Wait, without blocking the event loop, until record ``seq`` is fsync'd."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self.spooled >= seq:
                return
            self._waiters.append((seq, loop, future))
        self._hurry.set()
        await future

    def wait_durable(self, seq: int | None = None, timeout: float | None = None) -> bool:
        """Block until record ``seq`` (default: everything appended so far) is durable."""
        self._hurry.set()
        with self._lock:
            target = self._seq if seq is None else seq
            return self._durable.wait_for(lambda: self.spooled >= target, timeout)

    @property
    def depth(self) -> int:
        with self._lock:
            return self._pending_records()

    # -- shipper API -----------------------------------------------------------------------

    def read_batch(self, max_n: int) -> tuple[BatchToken | None, list[dict[str, Any]]]:
        """Up to ``max_n`` durable, unacknowledged records, oldest first (blocking file I/O)."""
        with self._lock:
            start, sizes, last = self._ack, dict(self._durable_sizes), self._write_segment
        pos, lines = start, 0
        records: list[dict[str, Any]] = []
        while len(records) < max_n and pos.segment in sizes:
            if pos.offset >= sizes[pos.segment]:
                later = [s for s in sizes if s > pos.segment]
                if pos.segment >= last or not later:
                    break
                pos = Position(min(later), 0, 0)
                continue
            before = pos
            try:
                path = segment_path(self.directory, pos.segment)
                chunk = read_lines(path, pos, sizes[pos.segment], max_n - len(records))
                for raw, after in chunk:
                    pos = after
                    lines += 1
                    try:
                        records.append(json.loads(raw))
                    except ValueError:
                        log.error("corrupt spool line skipped", extra={"segment": pos.segment})
            except FileNotFoundError:
                break  # dropped (drop_oldest) while we read; the next batch starts after it
            if pos == before:
                break
        if pos == start:
            return None, []
        return BatchToken(start, pos, lines), records

    def ack(self, token: BatchToken) -> None:
        """Forget a delivered batch: persist the ack position, delete finished segments."""
        with self._lock:
            if token.end <= self._ack:
                return  # already dropped past it
            self._ack = _clamp(token.end, self._sizes, self._lines, self._write_segment)
            done = [s for s in self._sizes if s < self._ack.segment]
            for index in done:
                del self._sizes[index], self._lines[index]
                self._durable_sizes.pop(index, None)
            ack = self._ack
        with self._ack_file_lock:
            store_ack(self.directory, ack)
        for index in done:
            segment_path(self.directory, index).unlink(missing_ok=True)
        self._publish_gauges()

    # -- internals -------------------------------------------------------------------------

    def _run(self) -> None:
        """The syncer: fsync what was written since the last pass, then count it durable."""
        while True:
            with self._lock:
                while self._seq == self.spooled and not self._stopping:
                    self._syncer_idle = True
                    self._written.wait()
                    self._syncer_idle = False
                if self._seq == self.spooled:
                    return  # stopping, and everything written is durable
                target, sizes = self._seq, dict(self._sizes)
                fds, self._unsynced_fds = self._unsynced_fds, []
                current = self._fd
                dirent, self._dirent_unsynced = self._dirent_unsynced, False
            try:
                for fd in [*fds, *([current] if current is not None else [])]:
                    os.fsync(fd)
                if dirent:
                    fsync_dir(self.directory)
            except OSError as exc:
                log.error("spool fsync failed; retrying", extra={"error": str(exc)})
                with self._lock:
                    self._unsynced_fds = fds + self._unsynced_fds
                    self._dirent_unsynced |= dirent
                    if self._written.wait(_RETRY_FSYNC_SECONDS) and self._stopping:
                        return
                continue
            for fd in fds:
                os.close(fd)
            self._mark_durable(target, sizes)
            if self._fsync_interval:
                # Spread fsyncs out: each costs the core ~0.1 ms of kernel time, so one per call
                # would tax every call; records written meanwhile share the next one. A caller
                # waiting for durability (durable_before_response, close) cuts the pause short.
                self._hurry.wait(self._fsync_interval)
                self._hurry.clear()

    def _mark_durable(self, target: int, sizes: dict[int, int]) -> None:
        with self._lock:
            done = target - self.spooled
            self.spooled = target
            self._durable_sizes = {i: n for i, n in sizes.items() if i in self._sizes}
            self._durable.notify_all()
            ready = [w for w in self._waiters if w[0] <= target]
            self._waiters = [w for w in self._waiters if w[0] > target]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)
        metrics.SPOOLED.inc(done)
        self._publish_gauges()

    def _open_segment(self, index: int) -> int:
        """Start segment ``index`` (lock held); the syncer still fsyncs and closes the old one.
        Returns its descriptor."""
        fd = os.open(
            segment_path(self.directory, index), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
        )
        if self._fd is not None:
            self._unsynced_fds.append(self._fd)
        self._fd = fd
        self._dirent_unsynced = True
        self._sizes[index], self._lines[index] = 0, 0
        self._durable_sizes.setdefault(index, 0)
        self._write_segment = index
        return fd

    def _drop_oldest(self, needed: int) -> None:
        """Delete whole unacknowledged segments, oldest first, until ``needed`` bytes fit."""
        while (
            self._pending_bytes() + needed > self._max and self._ack.segment < self._write_segment
        ):
            index = self._ack.segment
            lost = self._lines.pop(index, 0) - self._ack.line
            self._sizes.pop(index, None)
            self._durable_sizes.pop(index, None)
            segment_path(self.directory, index).unlink(missing_ok=True)
            self._ack = Position(min(self._sizes), 0, 0)
            self._count_dropped(lost)

    def _count_dropped(self, n: int) -> None:
        if n <= 0:
            return
        self.dropped += n
        metrics.SPOOL_DROPPED.labels(self._mode).inc(n)
        log.warning("spool full: records dropped", extra={"dropped": n, "mode": self._mode})

    def _pending_bytes(self) -> int:
        live = sum(size for index, size in self._sizes.items() if index >= self._ack.segment)
        return live - self._ack.offset

    def _pending_records(self) -> int:
        live = sum(n for index, n in self._lines.items() if index >= self._ack.segment)
        return live - self._ack.line

    def _publish_gauges(self) -> None:
        with self._lock:
            records, size = self._pending_records(), self._pending_bytes()
        metrics.SPOOL_DEPTH.set(records)
        metrics.SPOOL_BYTES.set(size)


def _clamp(ack: Position, sizes: dict[int, int], lines: dict[int, int], write: int) -> Position:
    """A valid ack position: inside a live segment, never past its end, never on a finished
    closed segment (move to the next one instead)."""
    if ack.segment in sizes and ack.offset > sizes[ack.segment]:
        ack = Position(ack.segment, sizes[ack.segment], lines[ack.segment])
    if ack.segment in sizes and (ack.offset < sizes[ack.segment] or ack.segment >= write):
        return ack
    later = [s for s in sizes if s > ack.segment]
    return Position(min(later), 0, 0) if later else Position(write, 0, 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the waiting call may have been cancelled (client gone)
        future.set_result(None)
