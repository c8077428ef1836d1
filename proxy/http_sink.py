"""The deployed ``RecordSink``: POST batches to the control plane's ``/api/v1/ingest/batch``.

Its aiohttp session is opened in ``start`` and closed in ``close``, and nowhere else. Any
transport failure or non-2xx answer raises, so the shipper retries the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from pydantic import SecretStr

from agentops.wire.ingest import IngestBatchResponse

INGEST_PATH = "/api/v1/ingest/batch"


class IngestError(Exception):
    """The control plane answered a batch with a non-2xx status."""


class HttpSink:
    def __init__(self, base_url: str, api_key: SecretStr | None, timeout: float = 30.0) -> None:
        self._url = base_url.rstrip("/") + INGEST_PATH
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        headers = {"user-agent": "agentops-proxy"}
        if self._api_key is not None:
            headers["authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        self._session = aiohttp.ClientSession(timeout=self._timeout, headers=headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(self, records: Sequence[dict[str, Any]]) -> IngestBatchResponse:
        if self._session is None:
            raise RuntimeError("HttpSink.start() was not called")
        async with self._session.post(self._url, json={"records": list(records)}) as response:
            if response.status >= 300:
                raise IngestError(f"ingest answered HTTP {response.status}")
            return IngestBatchResponse.model_validate(await response.json())
