"""The hook point for work caused by stored calls (budget spend, alerts, auto-pause).

Each ``DerivedWork`` runs inside the ingest transaction, after the calls, runs, events and
rollups of the batch are written, and sees only what this batch newly made final or started:
duplicates never reach it, so a hook counts each call exactly once. It writes with the session
it is given and never commits, so its effects commit or roll back with their cause. The hooks
are listed in ``control_plane.ingest.batch.DERIVED_WORK``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from agentops.wire.record import CallRecord, CallStatus
from control_plane.store.types import AsyncSession


@dataclass(frozen=True, slots=True)
class StoredCall:
    """A call this batch stored for the first time or completed (superseding in_progress)."""

    record: CallRecord
    org_id: uuid.UUID
    agent_id: uuid.UUID
    team_id: uuid.UUID | None
    run_pk: uuid.UUID
    superseded: bool  # True: the final record of a call first stored as in_progress
    reopened: bool = False  # superseded a call the open-call timeout had closed

    @property
    def final(self) -> bool:
        return self.record.status != CallStatus.IN_PROGRESS


DerivedWork = Callable[[AsyncSession, Sequence[StoredCall]], Awaitable[None]]
