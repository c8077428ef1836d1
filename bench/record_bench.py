"""What the record step costs the proxy per call: ``Record.response`` for a non-streamed chat call,
and the in-progress plus final records of a streamed one, on real flows (mitmproxy's own test
flows run through route, identify, classify and meter, as the pipeline orders them) and a real
spool, in CPU microseconds.

    .venv/bin/python bench/record_bench.py [--calls 2000] [--runs 9]

Each run builds ``--calls`` flows up to the record step (not timed), then times the record step
over all of them: ``thread`` is the loop thread's CPU time, ``process`` the whole process's (the
spool's syncer thread and its fsyncs included). Prints the median and the spread of the runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import uvloop
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agentops.settings import ProxySettings
from proxy.classify import Classify
from proxy.identify import Identify
from proxy.identity_rules import Sessions, UnverifiedKeys
from proxy.meter import Meter
from proxy.open_calls import OpenCalls
from proxy.pipeline import intercepted_hosts
from proxy.providers.registry import ProviderRegistry, resolve_reverse
from proxy.recorder import Record
from proxy.route import Route
from proxy.spool import Spool
from proxy.state import call_state
from proxy.tokenizer import count_text

SETTINGS = ProxySettings(default_org="acme")
_MODEL = "gpt-4o-mini-2024-07-18"
_SYSTEM = "You are the support assistant of an online bookshop. Answer in three sentences. " * 6
_COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1750000000,
    "model": _MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 612,
        "completion_tokens": 9,
        "total_tokens": 621,
        "prompt_tokens_details": {"cached_tokens": 128},
    },
}
_CHUNKS = 47


def _request_body(stream: bool) -> bytes:
    payload: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": "Can you tell me when the atlas will arrive, please?"},
        ],
        "temperature": 0.2,
        "max_tokens": 256,
    }
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
    return json.dumps(payload).encode()


def _sse_body() -> list[bytes]:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": _MODEL}
    events: list[dict[str, Any]] = []
    for i in range(_CHUNKS):
        delta = {"role": "assistant", "content": "tok"} if i == 0 else {"content": " tok"}
        events.append({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 612, "completion_tokens": _CHUNKS, "total_tokens": 612 + _CHUNKS}
    events.append({**base, "choices": [], "usage": usage})
    lines = [b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events]
    return [*lines, b"data: [DONE]\n\n"]


class Front:
    """The addons before the record step, as the pipeline orders them."""

    def __init__(self) -> None:
        self.route = Route(intercepted_hosts(SETTINGS), {}, None, resolve_reverse)
        self.identify = Identify(SETTINGS, UnverifiedKeys("acme"), Sessions(60))
        self.classify = Classify(ProviderRegistry.from_settings(SETTINGS).adapter_for_host)
        self.meter = Meter()

    def flow(self, stream: bool) -> http.HTTPFlow:
        request = tutils.treq(
            host="api.openai.com",
            port=443,
            scheme=b"https",
            method=b"POST",
            path=b"/v1/chat/completions",
            headers=http.Headers(
                ((b"content-type", b"application/json"), (b"x-agentops-agent", b"bench-agent"))
            ),
            content=_request_body(stream),
        )
        # Stamped as a live call (mitmproxy's test flows date from 1999): a few ms, as timed.
        now = time.time()
        request.timestamp_start, request.timestamp_end = now - 0.004, now - 0.0039
        flow = tflow.tflow(req=request)
        self.route.requestheaders(flow)
        self.identify.requestheaders(flow)
        self.classify.requestheaders(flow)
        self.classify.request(flow)
        self.meter.request(flow)
        return flow

    def answer_json(self, flow: http.HTTPFlow) -> None:
        flow.response = http.Response.make(
            200, json.dumps(_COMPLETION), {"content-type": "application/json"}
        )
        flow.response.timestamp_end = time.time()
        self.meter.responseheaders(flow)
        self.meter.response(flow)

    def stream_headers(self, flow: http.HTTPFlow) -> None:
        flow.response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
        flow.response.stream = True
        self.meter.responseheaders(flow)

    def stream_body(self, flow: http.HTTPFlow, lines: list[bytes]) -> None:
        assert flow.response is not None
        assert callable(flow.response.stream)
        for line in lines:
            flow.response.stream(line)
        flow.response.stream(b"")
        flow.response.timestamp_end = time.time()
        self.meter.response(flow)


Step = Callable[[], Coroutine[Any, Any, None]]


Figure = tuple[float, float]  # (loop thread, process) CPU us per call


async def _timed(calls: int, step: Step) -> Figure:
    # The flows built for the run are out of the collector's sight, as the proxy's ~16 live
    # calls nearly are: the collections timed are those of the record step's own garbage.
    gc.collect()
    gc.freeze()
    process, thread = time.process_time_ns(), time.thread_time_ns()
    for _ in range(calls):
        await step()
    figure = (
        (time.thread_time_ns() - thread) / calls / 1000,
        (time.process_time_ns() - process) / calls / 1000,
    )
    gc.unfreeze()
    return figure


def _flows(
    front: Front, calls: int, stream: bool, then: Callable[[http.HTTPFlow], None]
) -> list[http.HTTPFlow]:
    """``calls`` flows, each taken up to the record step's turn by ``then``."""
    flows = [front.flow(stream) for _ in range(calls)]
    for flow in flows:
        then(flow)
    return flows


async def json_run(front: Front, record: Record, calls: int) -> Figure:
    pending = iter(_flows(front, calls, False, front.answer_json))

    async def step() -> None:
        record.response(next(pending))  # None: not durable_before_response

    return await _timed(calls, step)


async def sse_run(front: Front, record: Record, calls: int) -> tuple[Figure, Figure]:
    """(in-progress record, final record) per call."""
    lines = _sse_body()
    flows = _flows(front, calls, True, front.stream_headers)
    # The in-progress records (the stream's first turn after its headers), then the bodies,
    # then the final records: the timed parts are the record step's own.
    opening = iter(flows)

    async def open_step() -> None:
        flow = next(opening)
        state = call_state(flow)
        assert state is not None
        record._open_stream(flow, state)  # what responseheaders schedules

    opened = await _timed(calls, open_step)
    for flow in flows:
        front.stream_body(flow, lines)
    closing = iter(flows)

    async def close_step() -> None:
        record.response(next(closing))

    closed = await _timed(calls, close_step)
    return opened, closed


async def main_async(calls: int, runs: int) -> None:
    results: dict[str, list[Figure]] = {"json": [], "sse": [], "sse open": [], "sse final": []}
    with taddons.context(), tempfile.TemporaryDirectory() as tmp:  # type: ignore[no-untyped-call]
        spool = Spool(Path(tmp), max_bytes=1 << 30, fsync_interval=0.01)  # the default
        spool.open()
        open_calls = OpenCalls(Path(tmp))
        record = Record(
            spool,
            count_text=count_text,
            azure_deployments={},
            proxy_id="bench-proxy",
            open_calls=open_calls,
        )
        front = Front()
        await json_run(front, record, min(calls, 200))  # warm caches (pricing, tokenizer)
        await sse_run(front, record, min(calls, 200))
        for _ in range(runs):
            results["json"].append(await json_run(front, record, calls))
            opened, closed = await sse_run(front, record, calls)
            results["sse open"].append(opened)
            results["sse final"].append(closed)
            results["sse"].append((opened[0] + closed[0], opened[1] + closed[1]))
        spool.close()
        open_calls.close()
    for kind, figures in results.items():
        thread = sorted(f[0] for f in figures)
        process = sorted(f[1] for f in figures)
        print(
            f"{kind:9}  thread CPU {statistics.median(thread):6.1f} us/call "
            f"({thread[0]:.1f}-{thread[-1]:.1f})  process CPU {statistics.median(process):6.1f} "
            f"us/call ({process[0]:.1f}-{process[-1]:.1f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    uvloop.run(main_async(args.calls, args.runs))  # the proxy's loop


if __name__ == "__main__":
    main()
