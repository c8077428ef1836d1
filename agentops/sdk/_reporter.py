"""Report runs and events to ``/api/v1/ingest/run`` without ever blocking the agent.

``report_run`` / ``report_event`` put the report on a bounded queue and return at once; one
daemon thread sends them, retrying connection errors, 429 and 5xx with exponential backoff.
Resending is safe: the control plane stores a call once per call id and an event once per
(run, kind, time, data). A full queue, a 4xx answer or retries exhausted drop the report with
a warning: the agent's work always comes first.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("agentops.sdk")
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


class Reporter:
    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        max_attempts: int = 6,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        timeout_seconds: float = 10.0,
        queue_size: int = 1000,
    ) -> None:
        self._url = api_url.rstrip("/") + "/api/v1/ingest/run"
        self._key = api_key
        self._attempts, self._backoff, self._max_backoff = (
            max_attempts,
            backoff_seconds,
            max_backoff_seconds,
        )
        self._timeout = timeout_seconds
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=queue_size)
        self._stopping = threading.Event()
        self.sent = self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="agentops-reporter", daemon=True)
        self._thread.start()

    def report_run(
        self,
        run_id: str,
        agent: str,
        *,
        calls: Sequence[Mapping[str, Any]] = (),
        events: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Queue a run with its calls (call records) and events (``{kind, at, data}``).
        Returns False (and drops it) when the queue is full; never raises on delivery."""
        body = {"run_id": run_id, "agent": agent, "calls": [dict(c) for c in calls],
                "events": [_event(e) for e in events]}  # fmt: skip
        try:
            self._queue.put_nowait(body)
        except queue.Full:
            self.dropped += 1
            log.warning("agentops: report queue full, run report dropped", extra={"run_id": run_id})
            return False
        return True

    def report_event(
        self, run_id: str, agent: str, kind: str, data: Mapping[str, Any] | None = None,
        *, at: datetime | None = None,
    ) -> bool:  # fmt: skip
        """Queue one event of a run (``kind`` like ``step.done``; ``at`` defaults to now)."""
        event = {"kind": kind, "at": at or datetime.now(UTC), "data": dict(data or {})}
        return self.report_run(run_id, agent, events=[event])

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued report was sent or dropped; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (up to ``timeout``), then stop the thread."""
        self.flush(timeout)
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (body := self._queue.get()) is not None:
            try:
                self._deliver(body)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _deliver(self, body: dict[str, Any]) -> None:
        data = json.dumps(body, default=str).encode()
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            outcome = self._post(data)
            if outcome == "ok":
                self.sent += 1
                return
            if outcome == "fatal" or attempt == self._attempts or self._stopping.is_set():
                break
            time.sleep(delay)
            delay = min(delay * 2, self._max_backoff)
        self.dropped += 1
        log.warning("agentops: run report dropped", extra={"run_id": body.get("run_id")})

    def _post(self, data: bytes) -> str:
        request = urllib.request.Request(self._url, data=data, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self._key}",
        })  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self._timeout):
                return "ok"
        except urllib.error.HTTPError as exc:
            if exc.code in RETRYABLE:
                return "retry"
            log.warning("agentops: run report refused", extra={"status": exc.code})
            return "fatal"
        except (urllib.error.URLError, OSError, TimeoutError):
            return "retry"


def _event(event: Mapping[str, Any]) -> dict[str, Any]:
    at = event.get("at") or datetime.now(UTC)
    if isinstance(at, datetime):
        at = (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()
    return {"kind": event["kind"], "at": at, "data": dict(event.get("data") or {})}
