"""Per-request behaviour of the fake provider, chosen by the test through request headers.

- ``x-fake-delay-ms``: wait before the first byte of the response.
- ``x-fake-chunk-delay-ms``: wait between stream chunks.
- ``x-fake-end-delay-ms``: wait after the last stream chunk before ending the body.
- ``x-fake-chunks``: number of text pieces the reply is streamed in (default 4).
- ``x-fake-status``: answer with this HTTP error status, in the provider's own error shape.
- ``x-fake-garbage``: answer 200 with a body that is not JSON.
- ``x-fake-no-usage``: leave usage out of the reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from tests.fakeprovider.expected import DEFAULT_CHUNKS


@dataclass(frozen=True, slots=True)
class Knobs:
    delay_ms: int = 0
    chunk_delay_ms: int = 0
    end_delay_ms: int = 0
    chunks: int = DEFAULT_CHUNKS
    status: int | None = None
    garbage: bool = False
    no_usage: bool = False

    async def wait_first_byte(self) -> None:
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)

    async def wait_chunk(self) -> None:
        if self.chunk_delay_ms:
            await asyncio.sleep(self.chunk_delay_ms / 1000)


def read_knobs(headers: Mapping[str, str]) -> Knobs:
    status = headers.get("x-fake-status")
    return Knobs(
        delay_ms=int(headers.get("x-fake-delay-ms", "0")),
        chunk_delay_ms=int(headers.get("x-fake-chunk-delay-ms", "0")),
        end_delay_ms=int(headers.get("x-fake-end-delay-ms", "0")),
        chunks=int(headers.get("x-fake-chunks", str(DEFAULT_CHUNKS))),
        status=int(status) if status else None,
        garbage=_flag(headers.get("x-fake-garbage")),
        no_usage=_flag(headers.get("x-fake-no-usage")),
    )


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() not in ("", "0", "false", "no")
