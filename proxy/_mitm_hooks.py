"""mitmproxy's hook hand-off, without a task per hook when the handlers need none.

For every hook a layer yields (``requestheaders``, ``request``, ``responseheaders``,
``response``, ``next_layer``, the TLS hooks...: four to eight per call) mitmproxy 12.3's
``ConnectionHandler.server_event`` starts a task, ``hook_task``: ``asyncio_utils.create_task``
(a Task, its debug info with ``time.time()``, an environment lookup and ``set_name``, a keep-alive
set and a done callback), then ``ProxyConnectionHandler.handle_hook`` (the watchdog's
``disarm()``, a generator context manager; ``hook.args()``, a ``dataclasses.fields`` walk; the
addon chain; ``wait_for_resume``) and another ``server_event`` for ``HookCompleted``: ~10 µs of
machinery per hook, for handlers that almost always finish without waiting.

``server_event`` here is mitmproxy's, copied line for line from the pinned version, except that a
``StartHook`` is handed to ``start_hook``. When the addon chain is run by our ``HookDispatch``,
that schedules the hook with ``loop.call_soon``: the callback runs in the loop's next turn, as
the task's first step would have, with the watchdog disarmed, and runs the handlers inline
(``HookDispatch.start``: chain order, an exception logged and the next handler run,
``AddonHalt`` ending the chain, ``update`` after a flow hook). When they all finished and the
flow is not intercepted, the watchdog is re-armed and ``HookCompleted`` is fed back to the
layers at once, under the connection's ``server_event`` lock taken without waiting (it is free:
``server_event`` never awaits while holding it, and the callback runs outside it), so the layer
stack is never re-entered. Otherwise the rest goes on in a task, as mitmproxy's would (started
eagerly, so a coroutine handler runs up to its first wait in this turn, as in the task's first
step): the handlers still to run, the wait for an intercepted flow's resume, the watchdog
re-armed, then ``server_event(HookCompleted)``. A handler chain we do not run (``HookDispatch``
not installed) keeps mitmproxy's task. Every event also takes the free lock that way
(``_handled``) instead of through ``acquire()``'s coroutine and ``async with`` (~0.4 µs an
event); a held lock (an eager task factory) is waited for as mitmproxy waits.

``handle_hook`` (the hooks a connection awaits directly: ``client_connected``,
``server_connect``...) is mitmproxy's with the context manager written out and the hook's
arguments taken from ``HookDispatch``'s cached field names.

``tests/proxy/test_mitm_hooks.py`` fails when the pinned mitmproxy's originals change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from mitmproxy import flow, hooks
from mitmproxy.proxy import commands, events, mode_servers, server
from mitmproxy.utils import asyncio_utils

ORIGINAL_SERVER_EVENT = server.ConnectionHandler.server_event
ORIGINAL_HANDLE_HOOK = mode_servers.ProxyConnectionHandler.handle_hook

Handler = mode_servers.ProxyConnectionHandler

_RUNNING: set[asyncio.Task[None]] = set()  # hooks gone on in a task


class Dispatch(Protocol):
    """What ``proxy._mitm.HookDispatch`` offers (it imports this module, so not by name)."""

    runs_inline: bool

    def start(self, event: hooks.Hook, args: list[Any] | None = None) -> Awaitable[None] | None: ...

    def _args(self, event: hooks.Hook) -> list[Any]: ...


def install() -> None:
    """Point mitmproxy's proxy connection handlers at ``server_event`` and ``handle_hook``."""
    Handler.server_event = server_event  # type: ignore[method-assign,assignment]
    Handler.handle_hook = handle_hook  # type: ignore[method-assign]


def uninstall() -> None:
    """Back to mitmproxy's own (benchmarks' A/B, tests)."""
    Handler.server_event = ORIGINAL_SERVER_EVENT  # type: ignore[method-assign]
    Handler.handle_hook = ORIGINAL_HANDLE_HOOK  # type: ignore[method-assign]


async def server_event(self: Handler, event: events.Event) -> None:
    # mitmproxy 12.3.1's ConnectionHandler.server_event; only the StartHook branch differs,
    # and the lock is taken without acquire()'s coroutine when it is free (``_handled``).
    if not _handled(self, event):
        async with self._server_event_lock:
            # No `await` beyond this point.
            _handle_event(self, event)


def _handled(self: Handler, event: events.Event) -> bool:
    """``event`` handled under the connection's lock if it is free, as ``async with lock``
    does when it need not wait: taken, the event handled, released, with nothing in between
    that could yield. False, nothing done, where the lock is held or has waiters (as under
    an eager task factory): the caller waits for its turn."""
    lock = self._server_event_lock
    if lock.locked() or lock._waiters:
        return False
    lock._locked = True  # type: ignore[attr-defined]  # what acquire() does when free
    try:
        _handle_event(self, event)
    finally:
        lock.release()
    return True


def _handle_event(self: Handler, event: events.Event) -> None:
    self.timeout_watchdog.register_activity()  # type: ignore[no-untyped-call]
    try:
        layer_commands = self.layer.handle_event(event)
        for command in layer_commands:
            if isinstance(command, commands.OpenConnection):
                assert command.connection not in self.transports
                handler = asyncio_utils.create_task(
                    self.open_connection(command),
                    name=f"server connection handler {command.connection.address}",
                    keep_ref=False,
                    client=self.client.peername,
                )
                self.transports[command.connection] = server.ConnectionIO(handler=handler)
            elif isinstance(command, commands.RequestWakeup):
                task = asyncio_utils.create_task(
                    self.wakeup(command),
                    name=f"wakeup timer ({command.delay:.1f}s)",
                    keep_ref=False,
                    client=self.client.peername,
                )
                assert task is not None
                self.wakeup_timer.add(task)
            elif (
                isinstance(command, commands.ConnectionCommand)
                and command.connection not in self.transports
            ):
                pass  # The connection has already been closed.
            elif isinstance(command, commands.SendData):
                writer = self.transports[command.connection].writer
                assert writer
                if not writer.is_closing():
                    writer.write(command.data)
            elif isinstance(command, commands.CloseTcpConnection):
                self.close_connection(command.connection, command.half_close)
            elif isinstance(command, commands.CloseConnection):
                self.close_connection(command.connection, False)
            elif isinstance(command, commands.StartHook):
                start_hook(self, command)
            elif isinstance(command, commands.Log):
                self.log(command.message, command.level)
            else:
                raise RuntimeError(f"Unexpected command: {command}")
    except Exception:  # noqa: BLE001 - mitmproxy logs a crash of its layers and goes on
        self.log("mitmproxy has crashed!", logging.ERROR, exc_info=True)


def start_hook(self: Handler, hook: commands.StartHook) -> None:
    """Run ``hook`` in the loop's next turn: inline when ``HookDispatch`` runs the chain,
    else in mitmproxy's task."""
    dispatch = _dispatch(self)
    if dispatch is None:
        asyncio_utils.create_task(
            self.hook_task(hook),
            name=f"handle_hook({hook.name})",
            keep_ref=True,
            client=self.client.peername,
        )
    else:
        asyncio.get_running_loop().call_soon(_run_hook, self, dispatch, hook)


def _dispatch(self: Handler) -> Dispatch | None:
    handle = self.master.addons.handle_lifecycle
    dispatch = getattr(handle, "__self__", None)
    return dispatch if getattr(dispatch, "runs_inline", False) else None


def _run_hook(self: Handler, dispatch: Dispatch, hook: commands.StartHook) -> None:
    """``hook_task`` for handlers that need no waiting; the rest of it in a task otherwise."""
    watchdog = self.timeout_watchdog
    _disarm(watchdog)
    try:
        args = dispatch._args(hook)
        (data,) = args  # We currently only support single-argument hooks.
        pending = dispatch.start(hook, args)
    except BaseException:
        _rearm(watchdog)
        raise
    if pending is None and not (isinstance(data, flow.Flow) and data.intercepted):
        _rearm(watchdog)
        if hook.blocking:
            _complete(self, hook)
        return
    # Started eagerly: the handler's coroutine runs now, up to its first wait, as it would
    # have in the task's first step (this callback runs outside server_event: no re-entry).
    task = asyncio.Task(
        _finish_hook(self, hook, data, pending), loop=asyncio.get_running_loop(), eager_start=True
    )
    if not task.done():
        asyncio_utils.set_task_debug_info(
            task, name=f"handle_hook({hook.name})", client=self.client.peername
        )
        _RUNNING.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(_RUNNING.discard)


async def _finish_hook(
    self: Handler, hook: commands.StartHook, data: Any, pending: Awaitable[None] | None
) -> None:
    try:
        if pending is not None:
            await pending
        if isinstance(data, flow.Flow):
            await data.wait_for_resume()  # type: ignore[no-untyped-call]
    finally:
        _rearm(self.timeout_watchdog)
    if hook.blocking:
        await self.server_event(events.HookCompleted(hook))


def _complete(self: Handler, hook: commands.StartHook) -> None:
    """``await self.server_event(events.HookCompleted(hook))``: at once where the lock is free,
    as it is outside ``server_event`` (whose body never awaits) and this runs outside it; else
    the event waits for its turn in a task."""
    completed = events.HookCompleted(hook)
    if not _handled(self, completed):
        asyncio_utils.create_task(
            self.server_event(completed),
            name=f"hook completed ({hook.name})",
            keep_ref=True,
            client=self.client.peername,
        )


async def handle_hook(self: Handler, hook: commands.StartHook) -> None:
    # mitmproxy 12.3.1's ProxyConnectionHandler.handle_hook, timeout_watchdog.disarm() inline.
    watchdog = self.timeout_watchdog
    _disarm(watchdog)
    try:
        # We currently only support single-argument hooks.
        dispatch = _dispatch(self)
        (data,) = hook.args() if dispatch is None else dispatch._args(hook)
        await self.master.addons.handle_lifecycle(hook)
        if isinstance(data, flow.Flow):
            await data.wait_for_resume()  # type: ignore[no-untyped-call]
    finally:
        _rearm(watchdog)


def _disarm(watchdog: server.TimeoutWatchdog) -> None:
    """The entry of ``TimeoutWatchdog.disarm()``."""
    watchdog.can_timeout.clear()
    watchdog.blocker += 1


def _rearm(watchdog: server.TimeoutWatchdog) -> None:
    """The exit of ``TimeoutWatchdog.disarm()``."""
    watchdog.blocker -= 1
    if watchdog.blocker == 0:
        watchdog.register_activity()  # type: ignore[no-untyped-call]
        watchdog.can_timeout.set()
