"""The durable local spool: every call record lands on disk before anything else happens to it.

Guarantee: **a record is durable once the ``spooled`` counter has counted it** (equivalently,
once ``wait_durable(seq)`` for the sequence number ``append`` returned has returned True): its
line has been written and ``fsync``'d, and a crash, ``kill -9`` or power loss after that point
cannot lose it. A record appended but not yet counted may be lost by a crash.

Design: the hot path only serialises the record and enqueues it (``append`` never touches the
disk). A dedicated writer thread drains the queue and commits every record waiting at that
moment with one write and one ``fsync`` (group commit), so the fsync cost is shared by
concurrent calls. Records live in append-only segment files of JSON lines; the shipper reads
batches (``read_batch``) and acknowledges them (``ack``), which persists the ack position and
deletes fully acknowledged segments. Recovery cuts a torn last line. At-least-once: a batch
delivered but not yet acknowledged when the process dies is delivered again.

When the unacknowledged data would exceed ``max_bytes``: ``drop_oldest`` deletes the oldest
segments, ``drop_newest`` drops the incoming record, ``refuse_calls`` drops it too and reports
``refusing`` so the gate refuses new calls until the shipper catches up. Every dropped record
is counted (``agentops_proxy_spool_dropped_records_total``) and logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

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
_GROUP_MAX = 1024  # records committed by one fsync at most
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
    ) -> None:
        self.directory = directory
        self._max = max_bytes
        self._mode: FullMode = full_mode
        self._segment_bytes = segment_bytes or max(64 * 1024, min(16 << 20, max_bytes // 8))
        self._lock = threading.Lock()
        self._durable = threading.Condition(self._lock)
        # Event-loop callers waiting for a sequence number to be fsync'd (``until_durable``).
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._ack_file_lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self._sizes: dict[int, int] = {}  # durable bytes per live segment
        self._lines: dict[int, int] = {}  # durable lines per live segment
        self._ack = Position(0, 0, 0)
        self._write_segment = 0
        self._fh: BinaryIO | None = None
        self._thread: threading.Thread | None = None
        self._queued_bytes = 0
        self._queued = 0
        self._seq = 0  # records accepted by append
        self.spooled = 0  # records made durable since open (the guarantee above)
        self.dropped = 0

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        segments = list_segments(self.directory)
        ack = load_ack(self.directory) or Position(segments[0] if segments else 0, 0, 0)
        for index in segments:
            if index < ack.segment:
                segment_path(self.directory, index).unlink()
            else:
                self._sizes[index], self._lines[index] = recover_segment(
                    segment_path(self.directory, index)
                )
        self._write_segment = max([ack.segment - 1, *self._sizes]) + 1
        self._ack = _clamp(ack, self._sizes, self._lines, self._write_segment)
        self._open_segment(self._write_segment)
        self._thread = threading.Thread(target=self._run, name="agentops-spool", daemon=True)
        self._thread.start()
        self._publish_gauges()

    def close(self, timeout: float = 10.0) -> None:
        """Commit everything appended so far, then stop the writer."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    # -- hot path --------------------------------------------------------------------------

    def append(self, record: Mapping[str, Any]) -> int | None:
        """Enqueue a record; returns its sequence number, or None when it was dropped."""
        return self.append_json(
            json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
        )

    def append_json(self, document: bytes) -> int | None:
        """Enqueue a record already serialised as one JSON document (no newline inside)."""
        line = document + b"\n"
        with self._lock:
            if self._thread is None:
                raise RuntimeError("spool is not open")
            if self._pending_bytes() + len(line) > self._max:
                if self._mode == "drop_oldest":
                    self._drop_oldest(len(line))
                if self._pending_bytes() + len(line) > self._max:
                    self._count_dropped(1)
                    return None
            self._seq += 1
            self._queued_bytes += len(line)
            self._queued += 1
            self._queue.put((self._seq, line))
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
        await future

    def wait_durable(self, seq: int | None = None, timeout: float | None = None) -> bool:
        """Block until record ``seq`` (default: everything appended so far) is durable."""
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
            start, sizes, last = self._ack, dict(self._sizes), self._write_segment
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
            ack = self._ack
        with self._ack_file_lock:
            store_ack(self.directory, ack)
        for index in done:
            segment_path(self.directory, index).unlink(missing_ok=True)
        self._publish_gauges()

    # -- internals -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _GROUP_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [item for item in batch if item is not None]
            if items:
                self._commit(items)
            if len(items) != len(batch):
                return

    def _commit(self, items: list[tuple[int, bytes]]) -> None:
        if self._sizes.get(self._write_segment, 0) >= self._segment_bytes:
            self._open_segment(self._write_segment + 1)
        assert self._fh is not None
        data = b"".join(line for _, line in items)
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        with self._lock:
            self._sizes[self._write_segment] += len(data)
            self._lines[self._write_segment] += len(items)
            self._queued_bytes -= len(data)
            self._queued -= len(items)
            self.spooled += len(items)
            self._durable.notify_all()
            ready = [w for w in self._waiters if w[0] <= self.spooled]
            self._waiters = [w for w in self._waiters if w[0] > self.spooled]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)
        metrics.SPOOLED.inc(len(items))
        self._publish_gauges()

    def _open_segment(self, index: int) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = segment_path(self.directory, index).open("ab")
        fsync_dir(self.directory)
        with self._lock:
            self._sizes[index], self._lines[index] = 0, 0
            self._write_segment = index

    def _drop_oldest(self, needed: int) -> None:
        """Delete whole unacknowledged segments, oldest first, until ``needed`` bytes fit."""
        while (
            self._pending_bytes() + needed > self._max and self._ack.segment < self._write_segment
        ):
            index = self._ack.segment
            lost = self._lines.pop(index, 0) - self._ack.line
            self._sizes.pop(index, None)
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
        return live - self._ack.offset + self._queued_bytes

    def _pending_records(self) -> int:
        live = sum(n for index, n in self._lines.items() if index >= self._ack.segment)
        return live - self._ack.line + self._queued

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


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the waiting call may have been cancelled (client gone)
        future.set_result(None)
