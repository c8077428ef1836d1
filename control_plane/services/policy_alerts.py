"""Policy alerts: a stored call on which an enforced ``alert`` policy applied, or a
``pause_run`` policy paused its run, sends one alert to the org's notification channels
(webhook, Slack, e-mail through the alerts machinery), once per policy and run.

Runs in the ingest transaction (``control_plane.ingest.derived``), so the alert is queued
exactly when the call that caused it commits. A later batch of the same run finds the
delivery it already queued (its ``dedupe`` key) and adds none.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentops.wire.record import CallRecord, PolicyOutcome
from control_plane.services import alerts
from control_plane.store.alerts import delivery_queued
from control_plane.store.types import AsyncSession

if TYPE_CHECKING:
    from control_plane.ingest.derived import StoredCall

EVENT_TYPES = {"alert": "policy.alert", "pause_run": "run.paused"}


async def on_stored_calls(session: AsyncSession, calls: Sequence[StoredCall]) -> None:
    seen: set[tuple[uuid.UUID, str]] = set()
    for call in calls:
        if not call.final:
            continue  # its final record comes later, with the same outcomes
        for outcome in call.record.policies:
            if not outcome.applied or outcome.action not in EVENT_TYPES:
                continue
            key = dedupe_key(outcome, call.record.run_id)
            if (call.org_id, key) in seen:
                continue
            seen.add((call.org_id, key))
            event_type = EVENT_TYPES[outcome.action]
            if not await delivery_queued(session, call.org_id, event_type, key):
                payload = _payload(call.record, outcome) | {"dedupe": key}
                await alerts.enqueue(session, call.org_id, event_type, payload, dedupe_key=key)


def dedupe_key(outcome: PolicyOutcome, run_id: str) -> str:
    raw = f"{outcome.policy_id}\n{run_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _payload(record: CallRecord, outcome: PolicyOutcome) -> dict[str, Any]:
    if outcome.action == "pause_run":
        message = (
            f"Run {record.run_id} of agent {record.agent} was paused by policy "
            f"{outcome.name!r}: {outcome.reason}. Its further calls are refused; the agent's "
            "other runs go on."
        )
    else:
        message = (
            f"Policy {outcome.name!r} matched a call of agent {record.agent} (run "
            f"{record.run_id}, model {record.model_requested}): {outcome.reason}."
        )
    return {
        "message": message,
        "policy": {"id": outcome.policy_id, "name": outcome.name, "action": outcome.action},
        "reason": outcome.reason,
        "agent": record.agent,
        "run_id": record.run_id,
        "call_id": str(record.call_id),
        "model": record.model_requested,
        "status": str(record.status),
        "at": record.started_at.isoformat(),
    }
