"""CPU per call of mitmproxy's hook hand-off: a task per hook (mitmproxy's ``server_event``) or
hooks run inline from ``loop.call_soon`` (``proxy._mitm_hooks``) (issue 19).

Real mitmproxy ``ProxyConnectionHandler`` objects, one per simulated connection, with the
product's hook table (``HookDispatch``) over either the real pipeline (``build_pipeline`` with
the benchmark's settings, as ``request_hooks_bench.py`` builds it) or ten addons with empty
handlers (``--addons empty``: the hand-off alone). In place of mitmproxy's layer stack, each
connection's layer yields one call's four hooks (``requestheaders``, ``request``,
``responseheaders``, ``response``) one after the other, each on the previous one's
``HookCompleted``, so every hook goes through ``server_event`` and back as in the proxy.
``--concurrency`` connections run at once. The two hand-offs alternate over ``--repeats``
rounds; each round's CPU (``time.process_time``) per call, best round reported, in µs.

    .venv/bin/python -O bench/hook_dispatch_bench.py [--addons pipeline|empty]
        [--calls 4000] [--concurrency 16] [--repeats 7] [--hand-off task|inline|both]

Instructions per call (deterministic on a shared machine): one hand-off under
``valgrind --tool=callgrind``, with ``--calls`` N and 2N, the difference over N.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvloop
from mitmproxy import http
from mitmproxy.proxy import commands, events
from mitmproxy.proxy.layers import http as http_layers
from mitmproxy.test import taddons

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _load import Target, _request
from _mock_upstream import _COMPLETION
from request_hooks_bench import REVERSE_PORT, bench_pipeline, make_flow

from proxy import _mitm_hooks
from proxy._mitm import HookDispatch
from tests.harness.mitm import connection_handler


class Empty:
    """An addon with the four hooks, doing nothing."""

    def __init__(self, name: str) -> None:
        self.name = name  # mitmproxy's addon name: one per addon

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        pass

    def request(self, flow: http.HTTPFlow) -> None:
        pass

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        pass

    def response(self, flow: http.HTTPFlow) -> None:
        pass


class Calls:
    """A connection's layer stack, reduced to the hooks of one call after another."""

    def __init__(self, flows: Iterator[http.HTTPFlow], done: asyncio.Future[None]) -> None:
        self._flows = flows
        self._done = done
        self._flow: http.HTTPFlow | None = None
        self.calls = 0

    def handle_event(self, event: events.Event) -> list[commands.Command]:
        if isinstance(event, events.Start):
            return self._next_call()
        assert isinstance(event, events.HookCompleted)
        flow = self._flow
        assert flow is not None
        hook = event.command
        if isinstance(hook, http_layers.HttpRequestHeadersHook):
            return [http_layers.HttpRequestHook(flow)]
        if isinstance(hook, http_layers.HttpRequestHook):
            flow.response = http.Response.make(
                200, _COMPLETION, {"content-type": "application/json"}
            )
            flow.response.timestamp_end = time.time()
            return [http_layers.HttpResponseHeadersHook(flow)]
        if isinstance(hook, http_layers.HttpResponseHeadersHook):
            return [http_layers.HttpResponseHook(flow)]
        self.calls += 1
        return self._next_call()

    def _next_call(self) -> list[commands.Command]:
        self._flow = next(self._flows, None)
        if self._flow is None:
            if not self._done.done():
                self._done.set_result(None)
            return []
        return [http_layers.HttpRequestHeadersHook(self._flow)]


async def round_(master: Any, flows: list[http.HTTPFlow], concurrency: int) -> float:
    loop = asyncio.get_running_loop()
    shared = iter(flows)
    handlers = []
    for _ in range(concurrency):
        handler = connection_handler(master)
        done: asyncio.Future[None] = loop.create_future()
        handler.layer = Calls(shared, done)  # type: ignore[assignment]
        handlers.append((handler, done))
    t0 = time.process_time()
    for handler, _ in handlers:
        await handler.server_event(events.Start())
    await asyncio.gather(*(done for _, done in handlers))
    elapsed = time.process_time() - t0
    calls = sum(h.layer.calls for h, _ in handlers)  # type: ignore[attr-defined]
    assert calls == len(flows), (calls, len(flows))
    return elapsed / calls * 1e6


def addons_of(kind: str) -> list[object]:
    if kind == "empty":
        return [Empty(f"empty{i}") for i in range(10)]
    return bench_pipeline()


async def run(args: argparse.Namespace) -> None:
    raw = _request(Target("r", "127.0.0.1", REVERSE_PORT, "/openai/v1/chat/completions"), "json")
    with taddons.context(*addons_of(args.addons)) as context:  # type: ignore[no-untyped-call]
        HookDispatch(context.master.addons).install()
        names = {"task": ["task per hook"], "inline": ["inline"]}.get(args.hand_off)
        results: dict[str, list[float]] = {n: [] for n in names or ["task per hook", "inline"]}
        for repeat in range(args.repeats + 1):  # the first round warms up
            for name in results:
                if name == "inline":
                    _mitm_hooks.install()
                else:
                    _mitm_hooks.uninstall()
                flows = [make_flow("reverse", raw) for _ in range(args.calls)]
                figure = await round_(context.master, flows, args.concurrency)
                if repeat:
                    results[name].append(figure)
        _mitm_hooks.uninstall()
    print(f"addons={args.addons} concurrency={args.concurrency} calls={args.calls}")
    for name, values in results.items():
        rounds = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name:15s} {min(values, default=0):7.2f} µs/call  (rounds: {rounds})")
    if len(results) == 2:
        before, after = (min(v) for v in results.values())
        print(f"{'saved':15s} {before - after:7.2f} µs/call")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addons", choices=["pipeline", "empty"], default="pipeline")
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--hand-off",
        choices=["task", "inline", "both"],
        default="both",
        help="one only: instruction counts under callgrind, less the start-up's (--repeats 0)",
    )
    args = parser.parse_args()
    uvloop.run(run(args))


if __name__ == "__main__":
    main()
