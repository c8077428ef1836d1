"""Open-call files: what a killed proxy leaves behind becomes one ``interrupted`` record each."""

from __future__ import annotations

import gc
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

from agentops.wire.record import CallRecord, CallStatus
from proxy.open_calls import OpenCalls
from proxy.spool import Spool


def _in_progress(call_id: uuid.UUID) -> bytes:
    record = CallRecord(
        call_id=call_id, org="acme", agent="bot", run_id="r1", provider="openai",
        endpoint="chat.completions", status=CallStatus.IN_PROGRESS, streamed=True,
        started_at=datetime(2026, 12, 5, 5, 0, tzinfo=UTC),
        tokens={"input": 12, "source": "estimated"}, cost={"total_usd": "0.0000018"},
    )  # fmt: skip
    return record.model_dump_json().encode()


def _spooled(spool: Spool) -> list[CallRecord]:
    spool.wait_durable()
    _, records = spool.read_batch(100)
    return [CallRecord.model_validate(r) for r in records]


def test_left_open_calls_become_interrupted_records_once(tmp_path: Path) -> None:
    cut, finished = uuid.uuid4(), uuid.uuid4()
    opened = OpenCalls(tmp_path)
    opened.add(str(cut), _in_progress(cut))
    opened.add(str(finished), _in_progress(finished))
    opened.remove(str(finished))  # its final record was written
    (opened.directory / "torn.json").write_bytes(b'{"call_id": "')  # killed mid-write

    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    try:
        ended = datetime(2026, 12, 5, 5, 3, tzinfo=UTC)
        assert OpenCalls(tmp_path).finalise(spool, ended) == 1
        assert OpenCalls(tmp_path).finalise(spool, ended) == 0  # nothing left to finalise
        [record] = _spooled(spool)
    finally:
        spool.close()
    assert record.call_id == cut
    assert record.status == CallStatus.INTERRUPTED
    assert record.ended_at == ended
    assert record.error_type == "proxy_restarted"
    assert (record.tokens.input, record.tokens.source) == (12, "estimated")
    assert str(record.cost.total_usd) == "0.0000018"
    assert list(opened.directory.iterdir()) == []


def test_an_empty_spool_has_nothing_to_finalise(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    try:
        assert OpenCalls(tmp_path).finalise(spool) == 0
        assert _spooled(spool) == []
    finally:
        spool.close()


def test_the_journal_keeps_only_open_calls_when_it_compacts(tmp_path: Path) -> None:
    calls = [uuid.uuid4() for _ in range(40)]
    opened = OpenCalls(tmp_path, compact_bytes=4096)
    for i, call in enumerate(calls):
        opened.add(str(call), _in_progress(call))
        opened.add(str(call), _in_progress(call))  # updated: the estimate came in
        if i % 10:
            opened.remove(str(call))  # finished
    assert opened.journal_bytes <= 4096
    opened.close()

    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    try:
        assert OpenCalls(tmp_path).finalise(spool) == 4
        records = _spooled(spool)
    finally:
        spool.close()
    assert sorted(r.call_id for r in records) == sorted(calls[::10])
    assert {r.status for r in records} == {CallStatus.INTERRUPTED}
    assert list(opened.directory.iterdir()) == []


def test_more_open_calls_than_the_compaction_size_do_not_rewrite_on_every_line(
    tmp_path: Path,
) -> None:
    """Open documents beyond ``compact_bytes`` (many long streams at once): the journal is
    rewritten when it is twice what it keeps, not on every line that follows."""
    opened = OpenCalls(tmp_path, compact_bytes=1024)
    calls = [uuid.uuid4() for _ in range(20)]  # ~20 documents of ~400 bytes: ~8 KB kept
    for call in calls:
        opened.add(str(call), _in_progress(call))
    journal = opened.directory / "journal"
    rewrites, inode = 0, journal.stat().st_ino
    for call in calls * 3:  # every stream updated three times (its estimate, say)
        opened.add(str(call), _in_progress(call))
        if journal.stat().st_ino != inode:
            rewrites, inode = rewrites + 1, journal.stat().st_ino
    assert rewrites <= 2  # 60 lines of ~400 bytes against ~8 KB kept: once or twice, not 60
    assert opened.journal_bytes <= 2 * 20 * (len(_in_progress(calls[0])) + 2)
    opened.close()

    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    try:
        assert OpenCalls(tmp_path).finalise(spool) == 20
    finally:
        spool.close()


def test_open_call_files_of_an_earlier_version_are_finalised(tmp_path: Path) -> None:
    cut = uuid.uuid4()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / f"{cut}.json").write_bytes(_in_progress(cut))
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    try:
        assert OpenCalls(tmp_path).finalise(spool) == 1
        [record] = _spooled(spool)
    finally:
        spool.close()
    assert (record.call_id, record.status) == (cut, CallStatus.INTERRUPTED)


def test_a_call_id_leaves_nothing_behind_once_removed(tmp_path: Path) -> None:
    """Adding and removing a call keeps no object per call id: on CPython 3.12 a
    ``Path`` built from it interned its name for the life of the process."""
    calls = OpenCalls(tmp_path)
    calls.add("warm-up", b"{}")
    calls.remove("warm-up")
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(2_000):
            call_id = f"call-{i:032d}"
            calls.add(call_id, b"{}")
            calls.remove(call_id)
        gc.collect()
        live, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert live < 20_000  # a Path per call id kept ~166 KB here
