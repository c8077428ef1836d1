"""The spool: durable before counted, at-least-once to the shipper, bounded, crash-safe."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proxy.spool import FullMode, Spool


def _open(
    path: Path,
    max_bytes: int = 1 << 20,
    full_mode: FullMode = "drop_oldest",
    segment_bytes: int | None = None,
) -> Spool:
    spool = Spool(path, max_bytes=max_bytes, full_mode=full_mode, segment_bytes=segment_bytes)
    spool.open()
    return spool


def _drain(spool: Spool) -> list[int]:
    ids: list[int] = []
    while True:
        token, records = spool.read_batch(7)
        if token is None:
            return ids
        ids.extend(r["i"] for r in records)
        spool.ack(token)


def test_records_come_back_in_order_and_acked_ones_never_again(tmp_path: Path) -> None:
    spool = _open(tmp_path, segment_bytes=200)
    for i in range(50):
        spool.append({"i": i})
    assert spool.wait_durable(timeout=10)
    assert spool.spooled == 50
    token, first = spool.read_batch(10)
    assert token is not None
    assert [r["i"] for r in first] == list(range(10))
    _again, same = spool.read_batch(10)  # not acked: delivered again (at least once)
    assert same == first
    spool.ack(token)
    assert _drain(spool) == list(range(10, 50))
    assert spool.depth == 0
    spool.close()
    assert len(list(tmp_path.glob("*.jsonl"))) == 1  # acked segments are deleted


def test_ack_position_survives_a_restart(tmp_path: Path) -> None:
    spool = _open(tmp_path, segment_bytes=100)
    for i in range(20):
        spool.append({"i": i})
    spool.wait_durable(timeout=10)
    token, _ = spool.read_batch(5)
    assert token is not None
    spool.ack(token)
    spool.close()
    reopened = _open(tmp_path, segment_bytes=100)
    assert reopened.depth == 15
    assert _drain(reopened) == list(range(5, 20))
    reopened.close()


def test_a_torn_last_line_is_cut_on_recovery(tmp_path: Path) -> None:
    spool = _open(tmp_path)
    spool.append({"i": 0})
    spool.wait_durable(timeout=10)
    spool.close()
    [segment] = tmp_path.glob("*.jsonl")
    with segment.open("ab") as fh:
        fh.write(b'{"i": 1, "half')
    reopened = _open(tmp_path)
    assert segment.read_bytes().endswith(b"}\n")
    assert _drain(reopened) == [0]
    reopened.close()


def test_drop_newest_counts_what_it_drops(tmp_path: Path) -> None:
    spool = _open(tmp_path, max_bytes=100, full_mode="drop_newest")
    accepted = [spool.append({"i": i, "pad": "x" * 20}) for i in range(10)]
    spool.wait_durable(timeout=10)
    kept = sum(a is not None for a in accepted)
    assert 0 < kept < 10
    assert spool.dropped == 10 - kept
    assert _drain(spool) == list(range(kept))
    spool.close()


def test_drop_oldest_deletes_whole_old_segments(tmp_path: Path) -> None:
    spool = _open(tmp_path, max_bytes=400, full_mode="drop_oldest", segment_bytes=100)
    for i in range(40):
        assert spool.append({"i": i, "pad": "x" * 20}) is not None
        spool.wait_durable(timeout=10)
    assert spool.dropped > 0
    remaining = _drain(spool)
    assert remaining == list(range(40 - len(remaining), 40))
    assert len(remaining) + spool.dropped == 40
    spool.close()


def test_refuse_calls_mode_reports_refusing_when_full(tmp_path: Path) -> None:
    spool = _open(tmp_path, max_bytes=70 * 1024, full_mode="refuse_calls")
    before = spool.refusing
    spool.append({"pad": "x" * 8 * 1024})
    assert (before, spool.refusing) == (False, True)
    spool.close()


CHILD = """
import sys
import time
from pathlib import Path
from proxy.spool import FullMode, Spool
spool = Spool(Path(sys.argv[1]), max_bytes=1 << 30, segment_bytes=4096)
spool.open()
i = 0
while True:
    seqs = [spool.append({"i": i + k, "pad": "y" * 50}) for k in range(20)]
    spool.wait_durable(seqs[-1])
    i += 20
    print(i, flush=True)  # every record below i is durable
"""


def test_every_record_reported_durable_survives_kill_9(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", str(root))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, cwd=root
    )
    assert child.stdout is not None
    durable = 0
    while durable < 2000:
        durable = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    spool = _open(tmp_path, max_bytes=1 << 30, segment_bytes=4096)
    ids = _drain(spool)
    spool.close()
    assert set(range(durable)) <= set(ids)
    assert ids == list(range(len(ids)))  # in order, nothing torn or duplicated
    for segment in tmp_path.glob("*.jsonl"):
        for line in segment.read_bytes().splitlines():
            json.loads(line)


def test_a_write_the_disk_refuses_drops_that_record_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = _open(tmp_path)
    try:
        assert spool.append({"i": 0}) == 1
        real_write = os.write
        calls = 0

        def disk_fills_mid_line(fd: int, data: bytes) -> int:
            nonlocal calls
            calls += 1
            if calls == 1:
                return real_write(fd, bytes(data[:5]))  # part of the line made it
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", disk_fills_mid_line)
        assert spool.append({"i": 1}) is None  # the call goes on; the record is counted lost
        monkeypatch.setattr(os, "write", real_write)
        assert spool.append({"i": 2}) == 2
        assert spool.dropped == 1
        assert spool.wait_durable(timeout=10)
        assert _drain(spool) == [0, 2]
    finally:
        spool.close()


KILLED_RIGHT_AFTER_APPEND = """
import os, signal, sys
from pathlib import Path
from proxy.spool import Spool
spool = Spool(Path(sys.argv[1]), max_bytes=1 << 30, segment_bytes=4096)
spool.open()
for i in range(int(sys.argv[2])):
    spool.append({"i": i, "pad": "z" * 50})
# No wait for the syncer: the moment the last append returned, the process dies.
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_record_is_safe_from_kill_9_as_soon_as_append_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What lets the proxy answer before the fsync: append has written the line to the file, so
    # a dead process (kill -9, OOM-kill) cannot take the record with it.
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", str(root))
    n = 3000  # spans many 4 KiB segments, so rotation is covered too
    child = subprocess.run(
        [sys.executable, "-c", KILLED_RIGHT_AFTER_APPEND, str(tmp_path), str(n)], cwd=root
    )
    assert child.returncode == -signal.SIGKILL
    spool = _open(tmp_path, max_bytes=1 << 30, segment_bytes=4096)
    ids = _drain(spool)
    spool.close()
    assert ids == list(range(n))


def test_only_fsynced_records_reach_the_shipper(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20, fsync_interval=60.0)
    spool.open()
    try:
        spool.append({"i": 0})
        deadline = time.monotonic() + 10
        while spool.spooled < 1 and time.monotonic() < deadline:
            time.sleep(0.001)  # the syncer fsyncs record 0, then pauses for a minute
        for i in range(1, 200):
            spool.append({"i": i})  # written (safe from a process crash), not yet fsync'd
        token, records = spool.read_batch(1000)
        assert [r["i"] for r in records] == [0]
        # Someone needing durability cuts the pause short.
        assert spool.wait_durable(timeout=10)
        token, records = spool.read_batch(1000)
        assert token is not None
        assert token.lines == spool.spooled == 200
        assert [r["i"] for r in records] == list(range(200))
    finally:
        spool.close()


async def test_until_durable_returns_once_the_record_is_on_disk(tmp_path: Path) -> None:
    spool = _open(tmp_path)
    try:
        seqs = [spool.append_json(json.dumps({"i": i}).encode()) for i in range(50)]
        assert all(seq is not None for seq in seqs)
        await spool.until_durable(seqs[-1] or 0)
        assert spool.spooled >= 50
        # Read back by another path than the spool's own counters: the lines are in the files.
        token, records = spool.read_batch(100)
        assert token is not None
        assert [r["i"] for r in records] == list(range(50))
    finally:
        spool.close()
