"""Where the proxy's shipper delivers records.

The proxy never imports the control plane: it is handed a ``RecordSink``. Deployed, that is an
HTTP client of ``/api/v1/ingest/batch``; embedded (``agentops up``), the CLI hands it the control
plane's ingest service directly, so one code path serves both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from agentops.wire.ingest import IngestBatchResponse


class RecordSink(Protocol):
    async def deliver(self, records: Sequence[dict[str, Any]]) -> IngestBatchResponse:
        """Deliver records (JSON-ready dicts of CallRecord); raise on transport failure."""
        ...
