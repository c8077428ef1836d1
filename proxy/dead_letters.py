"""Dead letters: records the control plane rejected, kept on disk instead of dropped.

A rejected record is a call that happened (answered, or refused at the gate) and that the
store does not hold: deleting it would lose spend silently. The shipper appends each one, with
the control plane's reason, to ``<spool>/dead-letters/records.jsonl`` (one JSON line each,
fsync'd before the batch is acknowledged), counts it in
``agentops_proxy_records_dead_lettered_total{reason}`` and logs the reason. An operator lists
them and replays them once the cause is fixed (``agentops proxy dead-letters list|replay``):
what the control plane then stores or already holds leaves the file, the rest stays.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentops.wire.ingest import IngestBatchResponse
from proxy import metrics

log = logging.getLogger(__name__)

FILE = "records.jsonl"

# Bounded metric labels: the reason's kind, not its text (which names agents and orgs).
_KINDS = (
    ("org mismatch", "org_mismatch"),
    ("org not vouched", "org_not_vouched"),
    ("unknown agent", "unknown_agent"),
    ("agent mismatch", "agent_mismatch"),
    ("invalid agent name", "invalid_agent_name"),
    ("malformed record", "malformed"),
)


def reason_kind(reason: str | None) -> str:
    text = (reason or "").lower()
    return next((kind for prefix, kind in _KINDS if text.startswith(prefix)), "other")


@dataclass(frozen=True)
class DeadLetter:
    record: dict[str, Any]
    reason: str
    at: str


class DeadLetters:
    def __init__(self, spool_dir: Path) -> None:
        self.directory = spool_dir / "dead-letters"
        self.path = self.directory / FILE

    def keep_rejected(self, records: Sequence[dict[str, Any]], answer: IngestBatchResponse) -> int:
        """Append every record the answer rejects (blocking file I/O); returns how many."""
        rejected = [(o.index, o.reason) for o in answer.outcomes if o.status == "rejected"]
        if not rejected:
            return 0
        at = datetime.now(UTC).isoformat()
        lines = []
        for index, reason in rejected:
            if 0 <= index < len(records):
                letter = {"reason": reason or "rejected", "at": at, "record": records[index]}
                lines.append(json.dumps(letter, separators=(",", ":")))
                kind = reason_kind(reason)
                metrics.DEAD_LETTERED.labels(kind).inc()
                log.warning(
                    "record rejected by the control plane; kept as a dead letter",
                    extra={"reason": reason, "reason_kind": kind,
                           "call_id": records[index].get("call_id"), "file": str(self.path)},
                )  # fmt: skip
        self._append(lines)
        return len(lines)

    def read(self) -> list[DeadLetter]:
        if not self.path.exists():
            return []
        letters = []
        for line in self.path.read_text().splitlines():
            if line.strip():
                data = json.loads(line)
                letters.append(DeadLetter(data["record"], data["reason"], data["at"]))
        return letters

    def rewrite(self, keep: Sequence[DeadLetter]) -> None:
        """Replace the file with ``keep`` (after a replay), atomically."""
        lines = [
            json.dumps({"reason": d.reason, "at": d.at, "record": d.record}, separators=(",", ":"))
            for d in keep
        ]
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text("".join(f"{line}\n" for line in lines))
        _fsync(temporary)
        os.replace(temporary, self.path)

    def _append(self, lines: list[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.path.open("a") as out:
            out.write("".join(f"{line}\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
