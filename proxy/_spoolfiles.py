"""File-level helpers of the spool: segment names, crash recovery, reading lines, the ack file.

A segment is an append-only file of JSON lines named by a 16-digit index. The ack file holds
the position up to which records were acknowledged by the shipper.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

SUFFIX = ".jsonl"
ACK_FILE = "ack.json"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in the spool: segment index, byte offset and line number inside that segment."""

    segment: int
    offset: int
    line: int


def segment_path(directory: Path, index: int) -> Path:
    return directory / f"{index:016d}{SUFFIX}"


def list_segments(directory: Path) -> list[int]:
    return sorted(int(p.stem) for p in directory.glob(f"*{SUFFIX}") if p.stem.isdigit())


def recover_segment(path: Path, *, fsync: bool = False) -> tuple[int, int]:
    """Cut a torn last line (a crash mid-write) and return (size, complete lines); with
    ``fsync``, also make what is there durable (a killed writer may have left it unsynced)."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data) or fsync:
        with path.open("r+b") as fh:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
    return end, data.count(b"\n", 0, end)


def read_lines(
    path: Path, start: Position, size: int, max_n: int
) -> Iterator[tuple[bytes, Position]]:
    """Complete lines from ``start`` up to byte ``size``, each with the position after it."""
    offset, line = start.offset, start.line
    with path.open("rb") as fh:
        fh.seek(offset)
        for _ in range(max_n):
            if offset >= size:
                return
            raw = fh.readline(size - offset)
            if not raw.endswith(b"\n"):
                return  # only durable, complete lines are read
            offset += len(raw)
            line += 1
            yield raw, Position(start.segment, offset, line)


def load_ack(directory: Path) -> Position | None:
    try:
        data = json.loads((directory / ACK_FILE).read_text())
        return Position(int(data["segment"]), int(data["offset"]), int(data["line"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def store_ack(directory: Path, position: Position) -> None:
    """Atomically replace the ack file (write, fsync, rename)."""
    tmp = directory / (ACK_FILE + ".tmp")
    with tmp.open("w") as fh:
        json.dump(asdict(position), fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, directory / ACK_FILE)
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Make a created, renamed or deleted directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
