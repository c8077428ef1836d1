"""The shipper delivers every spooled record at least once, retrying with backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from agentops.settings import ProxySettings
from agentops.wire.ingest import IngestBatchResponse
from proxy.http_sink import HttpSink
from proxy.shipper import Shipper, backoff_delay, latest_per_call
from proxy.spool import Spool


class CollectingSink:
    """A RecordSink that fails its first ``failures`` deliveries."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[dict[str, Any]]] = []
        self.delivered = asyncio.Event()

    async def deliver(self, records: Sequence[dict[str, Any]]) -> IngestBatchResponse:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("control plane down")
        self.batches.append(list(records))
        self.delivered.set()
        return IngestBatchResponse(stored=len(records))


def test_backoff_grows_exponentially_up_to_a_cap_with_full_jitter() -> None:
    assert [backoff_delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_delay(30, rand=lambda: 1.0) == 60.0
    assert backoff_delay(3, rand=lambda: 0.0) == 0.0


def test_a_later_record_of_a_call_supersedes_an_earlier_one_in_a_batch() -> None:
    batch = [
        {"call_id": "a", "status": "in_progress"},
        {"call_id": "b"},
        {"call_id": "a", "status": "ok"},
    ]
    assert latest_per_call(batch) == [{"call_id": "b"}, {"call_id": "a", "status": "ok"}]


async def test_records_are_shipped_in_bounded_batches_after_failures(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    for i in range(25):
        spool.append({"call_id": str(i)})
    settings = ProxySettings(ship_batch_size=10, ship_interval_seconds=0.01)
    sink = CollectingSink(failures=1)
    shipper = Shipper(spool, sink, settings)
    assert await asyncio.to_thread(spool.wait_durable, None, 10)
    try:
        await asyncio.gather(*(_fail_then(shipper) for _ in range(1)))
        while spool.depth:
            assert await shipper.ship_once() > 0
    finally:
        await shipper.stop()
        spool.close()
    shipped = [r["call_id"] for batch in sink.batches for r in batch]
    assert shipped == [str(i) for i in range(25)]
    assert max(len(b) for b in sink.batches) == 10


async def _fail_then(shipper: Shipper) -> None:
    try:
        await shipper.ship_once()
    except ConnectionError:
        return
    raise AssertionError("the first delivery should fail")


async def test_the_background_loop_ships_without_being_asked(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.open()
    sink = CollectingSink()
    settings = ProxySettings(ship_interval_seconds=0.01)
    shipper = Shipper(spool, sink, settings)
    shipper.start()
    try:
        spool.append({"call_id": "x"})
        await sink.delivered.wait()
    finally:
        await shipper.stop()
        spool.close()
    assert sink.batches == [[{"call_id": "x"}]]


async def test_http_sink_posts_the_batch_with_the_proxy_key() -> None:
    seen: list[tuple[str | None, Any]] = []

    async def ingest(request: web.Request) -> web.Response:
        seen.append((request.headers.get("authorization"), await request.json()))
        return web.json_response({"stored": 1, "outcomes": [{"index": 0, "status": "stored"}]})

    app = web.Application()
    app.router.add_post("/api/v1/ingest/batch", ingest)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    sink = HttpSink(f"http://127.0.0.1:{port}/", SecretStr("ak-proxy-key"))
    await sink.start()
    try:
        answer = await sink.deliver([{"call_id": "c1"}])
    finally:
        await sink.close()
        await runner.cleanup()
    assert answer.stored == 1
    assert seen == [("Bearer ak-proxy-key", {"records": [{"call_id": "c1"}]})]
