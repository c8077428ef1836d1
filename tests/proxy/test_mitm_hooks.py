"""Hooks run inline (``proxy._mitm_hooks``) do what mitmproxy's task per hook does, in the same
order: each scenario runs on real mitmproxy connection handlers once with mitmproxy's
``server_event`` and once with ours, and the two traces (handlers called, watchdog state, events
fed back to the layers) must be equal. The copied functions fail here when the pinned
mitmproxy's originals change."""

from __future__ import annotations

import asyncio
import inspect
import json
import ssl
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h2.connection
import h2.events
import pytest
from mitmproxy import exceptions, flow, http
from mitmproxy.proxy import commands, events, mode_servers, server, server_hooks
from mitmproxy.proxy.layers import http as http_layers
from mitmproxy.test import taddons, tflow
from mitmproxy.utils import asyncio_utils

from proxy import _mitm_hooks
from proxy._mitm import HookDispatch
from proxy.ca import write_bundle
from proxy.decision import ALLOW, Call, Decision
from tests.fakeprovider.server import FakeProvider
from tests.harness.mitm import connection_handler, source_digest
from tests.proxy.conftest import StartProxy
from tests.proxy.helpers import chat, final_records

# sha256 of the source of what _mitm_hooks copies or replaces, in mitmproxy 12.3.1.
PINNED = {
    "ConnectionHandler.server_event": (
        _mitm_hooks.ORIGINAL_SERVER_EVENT,
        "a2b42657ebe8bf6de9b9064d7b3dde2403a744bb8f75df03691a5c0e735544d7",
    ),
    "ConnectionHandler.hook_task": (
        server.ConnectionHandler.hook_task,
        "9ac79701605262685df6bc57fdba46bc84894961665e5b32d90defebd0780092",
    ),
    "ProxyConnectionHandler.handle_hook": (
        _mitm_hooks.ORIGINAL_HANDLE_HOOK,
        "9f8b52fd798203c9d2401c3e5d8c7f9976c490ac124b17cd55d8afce73b66acf",
    ),
    "TimeoutWatchdog.disarm": (
        server.TimeoutWatchdog.disarm,
        "99af75f94eed883af95e538b51be5a8ed6d31ba391d0bc557e4cce5eda9c4cc4",
    ),
    "asyncio_utils.create_task": (
        asyncio_utils.create_task,
        "1e4ddcc5df8a95ab5f4c0835a40e5a4a4c95634409e9b0cd4ae8e9fd4910d1da",
    ),
    "Flow.wait_for_resume": (
        flow.Flow.wait_for_resume,
        "a333ab3b51300b444cf905cf1978619fc5dd0c0a79359a4b599e44df158c1ab9",
    ),
}


@pytest.mark.parametrize("name", list(PINNED))
def test_the_pinned_originals_are_unchanged(name: str) -> None:
    function, digest = PINNED[name]
    assert source_digest(function) == digest, (
        f"mitmproxy's {name} changed: review proxy/_mitm_hooks.py"
    )


def test_installing_points_mitmproxys_proxy_handlers_at_ours() -> None:
    handler = mode_servers.ProxyConnectionHandler
    try:
        _mitm_hooks.install()
        assert handler.server_event is _mitm_hooks.server_event  # type: ignore[comparison-overlap]
        assert handler.handle_hook is _mitm_hooks.handle_hook  # type: ignore[comparison-overlap]
        assert server.ConnectionHandler.server_event is _mitm_hooks.ORIGINAL_SERVER_EVENT
    finally:
        _mitm_hooks.uninstall()
    assert handler.server_event is _mitm_hooks.ORIGINAL_SERVER_EVENT
    assert handler.handle_hook is _mitm_hooks.ORIGINAL_HANDLE_HOOK


async def test_a_lock_marked_taken_is_held_as_acquire_would_hold_it() -> None:
    """``_handled`` takes the connection's lock as ``acquire()`` does when it need not wait;
    a waiter meanwhile waits, and gets it on release."""
    lock = asyncio.Lock()
    assert not lock.locked()
    assert not lock._waiters
    lock._locked = True
    got: list[str] = []

    async def waiter() -> None:
        async with lock:
            got.append("waiter")

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    assert lock.locked()
    assert lock._waiters
    assert got == []
    lock.release()
    await task
    assert got == ["waiter"]
    assert not lock.locked()


# --- the same scenarios on mitmproxy's task per hook and on ours -------------------------------

Trace = list[str]
Plan = Callable[[events.Event], list[commands.Command]]


class Layers:
    """The layer stack, reduced to a plan: the commands to yield on each event."""

    def __init__(self, trace: Trace, plan: Plan, names: dict[int, str]) -> None:
        self.trace, self.plan, self.names = trace, plan, names

    def handle_event(self, event: events.Event) -> list[commands.Command]:
        if isinstance(event, events.HookCompleted):
            hook = event.command
            [data] = hook.args()
            error = f" error={data.error.msg}" if getattr(data, "error", None) else ""
            self.trace.append(f"completed {hook.name} {self.names.get(id(data), '?')}{error}")
        return self.plan(event)


class Addon:
    """Traces its handlers' calls with the watchdog's state; ``does`` says what a handler does
    beyond that (by hook name): raise, halt, intercept, kill, wait."""

    def __init__(
        self, name: str, trace: Trace, names: dict[int, str], **does: Callable[..., Any]
    ) -> None:
        self.name, self.trace, self.names, self.does = name, trace, names, does
        self.handler: mode_servers.ProxyConnectionHandler | None = None

    def seen(self, hook: str, data: object) -> None:
        watchdog = self.handler.timeout_watchdog if self.handler else None
        state = f" blocker={watchdog.blocker}" if watchdog else ""
        self.trace.append(f"{self.name}.{hook} {self.names.get(id(data), '?')}{state}")

    def _hook(self, hook: str, data: Any) -> Any:
        self.seen(hook, data)
        action = self.does.get(hook)
        return None if action is None else action(data)

    def requestheaders(self, f: http.HTTPFlow) -> Any:
        return self._hook("requestheaders", f)

    def request(self, f: http.HTTPFlow) -> Any:
        return self._hook("request", f)

    def response(self, f: http.HTTPFlow) -> Any:
        return self._hook("response", f)

    def client_connected(self, client: Any) -> Any:
        return self._hook("client_connected", client)

    def update(self, flows: list[http.HTTPFlow]) -> None:
        self.trace.append(f"{self.name}.update {self.names.get(id(flows[0]), '?')}")


class AsyncAddon(Addon):
    """The same with coroutine handlers (``async def``), as mitmproxy runs them."""

    async def request(self, f: http.HTTPFlow) -> Any:  # type: ignore[override]
        await asyncio.sleep(0)
        result = self._hook("request", f)
        if inspect.isawaitable(result):
            await result


@contextmanager
def handed_off(inline: bool) -> Iterator[None]:
    if inline:
        _mitm_hooks.install()
    else:
        _mitm_hooks.uninstall()
    try:
        yield
    finally:
        _mitm_hooks.uninstall()


Flows = dict[str, http.HTTPFlow]
Drive = Callable[[mode_servers.ProxyConnectionHandler, Trace, Flows], Awaitable[None]]


async def _turns(n: int = 30) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def _just_run(
    handler: mode_servers.ProxyConnectionHandler, trace: Trace, flows: Flows
) -> None:
    await _turns()


async def run(
    inline: bool,
    make_addons: Callable[[Trace, dict[int, str]], list[Addon]],
    plan: Callable[[Flows], Plan],
    drive: Drive = _just_run,
    dispatch: bool = True,
) -> Trace:
    trace: Trace = []
    flows = {name: tflow.tflow() for name in ("A", "B")}
    names = {id(f): name for name, f in flows.items()}
    addons = make_addons(trace, names)
    with taddons.context(*addons) as context, handed_off(inline):  # type: ignore[no-untyped-call]
        if dispatch:
            HookDispatch(context.master.addons).install()
        handler = connection_handler(context.master)
        for addon in addons:
            addon.handler = handler
        handler.layer = Layers(trace, plan(flows), names)  # type: ignore[assignment]
        await handler.server_event(events.Start())
        await drive(handler, trace, flows)
        await _turns()
        watchdog = handler.timeout_watchdog
        trace.append(f"end blocker={watchdog.blocker} can_timeout={watchdog.can_timeout.is_set()}")
    return trace


async def both(*args: Any, **kwargs: Any) -> Trace:
    theirs = await run(False, *args, **kwargs)
    ours = await run(True, *args, **kwargs)
    assert ours == theirs
    return ours


def one_call(flows: Flows) -> Plan:
    """requestheaders, then request, then response, of flow A."""
    a = flows["A"]
    following = {
        "requestheaders": http_layers.HttpRequestHook,
        "request": http_layers.HttpResponseHook,
    }

    def plan(event: events.Event) -> list[commands.Command]:
        if isinstance(event, events.Start):
            return [http_layers.HttpRequestHeadersHook(a)]
        assert isinstance(event, events.HookCompleted)
        after = following.get(event.command.name)
        return [] if after is None else [after(a)]

    return plan


def two_streams(flows: Flows) -> Plan:
    """Two calls in flight on one connection (HTTP/2 streams): both ``request`` hooks yielded in
    one event, each call's ``response`` on its own completion."""
    a, b = flows["A"], flows["B"]

    def plan(event: events.Event) -> list[commands.Command]:
        if isinstance(event, events.Start):
            return [http_layers.HttpRequestHook(a), http_layers.HttpRequestHook(b)]
        assert isinstance(event, events.HookCompleted)
        if event.command.name == "request":
            return [http_layers.HttpResponseHook(event.command.flow)]
        return []

    return plan


def _raise(f: http.HTTPFlow) -> None:
    raise RuntimeError("an addon bug")


def _halt(f: http.HTTPFlow) -> None:
    raise exceptions.AddonHalt


async def test_handlers_run_in_chain_order_with_errors_logged_halts_and_updates() -> None:
    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [
            Addon("a", trace, names),
            Addon("bug", trace, names, request=_raise),
            Addon("halt", trace, names, response=_halt),
            Addon("c", trace, names),
        ]

    trace = await both(addons, one_call)
    hooks = ["requestheaders", "request", "response"]
    expected = []
    for hook in hooks:
        names = ["a", "bug", "halt"] if hook == "response" else ["a", "bug", "halt", "c"]
        expected += [f"{n}.{hook} A blocker=1" for n in names]
        expected += [f"{n}.update A" for n in ("a", "bug", "halt", "c")]
        expected.append(f"completed {hook} A")
    assert trace == [*expected, "end blocker=0 can_timeout=True"]


async def test_async_handlers_and_awaitables_go_on_as_mitmproxys_task_would() -> None:
    """A coroutine handler and a handler returning an awaitable, with two calls in flight:
    the handlers after them run once they are done, the calls interleave as in mitmproxy."""

    def later(f: http.HTTPFlow) -> Awaitable[None]:
        done = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(done.set_result, None)
        return done

    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [
            Addon("a", trace, names),
            AsyncAddon("async", trace, names),
            Addon("awaitable", trace, names, request=later, response=later),
            Addon("c", trace, names),
        ]

    trace = await both(addons, two_streams)
    assert trace.index("c.request A blocker=2") < trace.index("completed request A")
    assert trace[-1] == "end blocker=0 can_timeout=True"


async def test_an_intercepted_flow_waits_for_resume_with_the_watchdog_disarmed() -> None:
    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        def intercept(f: http.HTTPFlow) -> None:
            if names[id(f)] == "A" and "held" not in f.metadata:  # A's request, once
                f.metadata["held"] = True
                f.intercept()  # type: ignore[no-untyped-call]

        return [Addon("a", trace, names, request=intercept), Addon("b", trace, names)]

    async def resume(
        handler: mode_servers.ProxyConnectionHandler, trace: Trace, flows: Flows
    ) -> None:
        await _turns()
        watchdog = handler.timeout_watchdog
        trace.append(
            f"resume blocker={watchdog.blocker} can_timeout={watchdog.can_timeout.is_set()}"
        )
        flows["A"].resume()  # type: ignore[no-untyped-call]

    trace = await both(addons, two_streams, resume)
    # B's call went on; A's request hook completed only after its resume
    assert trace.index("completed response B") < trace.index("resume blocker=1 can_timeout=False")
    assert trace.index("resume blocker=1 can_timeout=False") < trace.index("completed request A")
    assert trace[-1] == "end blocker=0 can_timeout=True"


async def test_a_flow_killed_by_a_handler_is_handed_back_killed() -> None:
    def kill(f: http.HTTPFlow) -> None:
        f.kill()  # type: ignore[no-untyped-call]

    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [Addon("gate", trace, names, requestheaders=kill), Addon("b", trace, names)]

    trace = await both(addons, one_call)
    assert "completed requestheaders A error=Connection killed." in trace


async def test_a_completion_waits_while_the_connections_lock_is_held() -> None:
    """Where ``server_event``'s lock is taken when a hook finishes (an eager task factory can
    do that), its completion waits for the lock, as mitmproxy's ``await server_event`` does."""

    async def hold(
        handler: mode_servers.ProxyConnectionHandler, trace: Trace, flows: Flows
    ) -> None:
        async with handler._server_event_lock:
            await _turns()
            trace.append("released")

    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [Addon("a", trace, names)]

    trace = await both(addons, one_call, hold)
    assert trace.index("released") < trace.index("completed requestheaders A")
    assert "completed response A" in trace


async def test_a_chain_not_run_by_hookdispatch_keeps_mitmproxys_task() -> None:
    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [Addon("a", trace, names, request=_raise), AsyncAddon("b", trace, names)]

    trace = await both(addons, two_streams, dispatch=False)
    assert "completed response B" in trace


async def test_connection_hooks_awaited_directly_disarm_the_watchdog() -> None:
    """``client_connected`` and the server hooks are awaited by the connection (``handle_hook``),
    not started from ``server_event``; a coroutine handler among them."""

    async def connect(
        handler: mode_servers.ProxyConnectionHandler, trace: Trace, flows: Flows
    ) -> None:
        await handler.handle_hook(server_hooks.ClientConnectedHook(handler.client))
        watchdog = handler.timeout_watchdog
        trace.append(
            f"connected blocker={watchdog.blocker} can_timeout={watchdog.can_timeout.is_set()}"
        )

    async def later(client: Any) -> None:
        await asyncio.sleep(0)

    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [Addon("a", trace, names, client_connected=later), Addon("b", trace, names)]

    def nothing(flows: Flows) -> Plan:
        return lambda event: []

    trace = await both(addons, nothing, connect)
    assert trace == [
        "a.client_connected ? blocker=1",
        "b.client_connected ? blocker=1",
        "connected blocker=0 can_timeout=True",
        "end blocker=0 can_timeout=True",
    ]


async def test_synchronous_handlers_run_without_a_task() -> None:
    tasks: list[str | None] = []

    def current(f: http.HTTPFlow) -> None:
        task = asyncio.current_task()
        tasks.append(None if task is None else task.get_name().split(" [")[0])

    def addons(trace: Trace, names: dict[int, str]) -> list[Addon]:
        return [Addon("a", trace, names, requestheaders=current)]

    await run(False, addons, one_call)
    await run(True, addons, one_call)
    assert tasks == ["handle_hook(requestheaders)", None]


# --- through a real proxy ----------------------------------------------------------------------


class HoldAgent:
    """A gate that keeps one agent's calls waiting in the ``request`` hook until released."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.release = asyncio.Event()
        self.holding = asyncio.Event()

    async def decide(self, call: Call) -> Decision:
        if call.agent == self.agent:
            self.holding.set()
            await self.release.wait()
        return ALLOW


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


class H2Client:
    """Calls on one HTTP/2 connection through the forward listener (CONNECT, then TLS offering
    only ``h2``: httpx offers ``http/1.1`` first through a proxy, and mitmproxy takes it)."""

    def __init__(self) -> None:
        self.conn = h2.connection.H2Connection()
        self.ended: dict[int, asyncio.Future[int]] = {}
        self.status: dict[int, int] = {}

    async def connect(self, proxy: tuple[str, int], bundle: Path) -> None:
        self.reader, self.writer = await asyncio.open_connection(*proxy)
        self.writer.write(
            b"CONNECT api.openai.com:443 HTTP/1.1\r\nhost: api.openai.com:443\r\n\r\n"
        )
        assert (await self.reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        context = ssl.create_default_context(cafile=bundle)
        context.set_alpn_protocols(["h2"])
        await self.writer.start_tls(context, server_hostname="api.openai.com")
        self.conn.initiate_connection()
        self.writer.write(self.conn.data_to_send())
        self.pump = asyncio.create_task(self._read())

    def call(self, agent: str) -> asyncio.Future[int]:
        stream = self.conn.get_next_available_stream_id()
        body = json.dumps(CHAT).encode()
        self.conn.send_headers(
            stream,
            [
                (":method", "POST"), (":scheme", "https"), (":authority", "api.openai.com"),
                (":path", "/v1/chat/completions"), ("authorization", "Bearer sk-x"),
                ("x-agentops-agent", agent), ("content-type", "application/json"),
                ("content-length", str(len(body))),
            ],
        )  # fmt: skip
        self.conn.send_data(stream, body, end_stream=True)
        self.writer.write(self.conn.data_to_send())
        ended = self.ended[stream] = asyncio.get_running_loop().create_future()
        return ended

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    self.status[event.stream_id] = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
                elif isinstance(event, h2.events.StreamEnded):
                    self.ended[event.stream_id].set_result(self.status[event.stream_id])
            self.writer.write(self.conn.data_to_send())

    async def close(self) -> None:
        self.pump.cancel()
        self.writer.close()


async def test_http2_streams_with_a_hook_waiting_among_them(
    start_proxy: StartProxy, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """Several calls on one intercepted HTTP/2 connection: one waits in its ``request`` hook
    while the others' hooks run and they complete; then it completes too."""
    gate = HoldAgent("slow")
    proxy = await start_proxy(gate=gate, upstream_overrides={"api.openai.com": fake_provider.url})
    client = H2Client()
    await client.connect(
        proxy.forward_address, write_bundle(proxy.settings.proxy.ca_dir, tmp_path / "bundle.pem")
    )
    try:
        slow = client.call("slow")
        await gate.holding.wait()
        fast = [await answer for answer in [client.call(f"fast-{i}") for i in range(4)]]
        assert not slow.done()
        gate.release.set()
        assert [await slow, *fast] == [200] * 5
    finally:
        await client.close()
    assert proxy.spool.wait_durable(timeout=10)
    records = final_records(proxy.spool.directory).values()
    assert sorted(r["agent"] for r in records if r["status"] == "ok") == [
        "fast-0", "fast-1", "fast-2", "fast-3", "slow",
    ]  # fmt: skip


async def test_a_connection_closed_while_its_hook_waits(
    start_proxy: StartProxy, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """The agent hangs up while its call waits in the gate: the hook finishes on a closed
    connection without harm, and the proxy serves the next call."""
    gate = HoldAgent("gone")
    proxy = await start_proxy(gate=gate, upstream_overrides={"api.openai.com": fake_provider.url})
    assert proxy.reverse_address is not None
    host, port = proxy.reverse_address
    body = json.dumps(CHAT).encode()
    _, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-x\r\n"
        b"x-agentops-agent: gone\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    await gate.holding.wait()
    writer.close()
    await writer.wait_closed()
    await _turns()
    gate.release.set()
    answer = await chat(proxy.reverse_address, **{"X-AgentOps-Agent": "next"})
    assert answer.choices
    assert not [r for r in caplog.records if "crashed" in r.getMessage()]
