"""A hook before a request body that outgrew the buffer is streamed upstream.

mitmproxy decides to stream a request body in one of two places. With a Content-Length past
``stream_large_bodies`` it decides at the request headers, before the ``requestheaders`` hook,
so an addon that sees ``flow.request.stream`` there can act before anything leaves. With no
Content-Length (HTTP/1 chunked, HTTP/2 without the header) it buffers the body and, when the
buffer outgrows the limit, switches to streaming mid-body: it sends the buffer and the rest
upstream, and fires ``request`` only once the whole body has gone. No hook runs in between, so
the gate (kill switch, pauses, budgets, policies) never saw such a call: it decides in
``requestheaders`` for streamed bodies and in ``request`` for buffered ones, and this one was
neither when each ran.

``install`` wraps mitmproxy's ``HttpStream.start_request_stream`` so that, for that mid-body
switch only, a ``request_stream`` hook runs first and blocks, as every mitmproxy hook does. An
addon that kills the flow there stops the call before any byte of it leaves: mitmproxy resets
the agent's stream (HTTP/1: closes the connection). A refusal cannot be sent as an answer to an
agent still sending its body. ``tests/proxy/test_service_large_bodies.py`` drives it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from mitmproxy import http
from mitmproxy.proxy import commands
from mitmproxy.proxy.layers.http import HttpStream


@dataclass
class RequestStreamHook(commands.StartHook):  # type: ignore[no-untyped-call]
    """A request body of unknown length outgrew ``stream_large_bodies`` while it was read and
    is about to be streamed upstream: nothing of it has left yet."""

    flow: http.HTTPFlow


_Step = Callable[[HttpStream], Generator[Any, Any, None]]


def install() -> None:
    original: _Step = HttpStream.start_request_stream
    if getattr(original, "_late_stream_hook", False):
        return

    def start_request_stream(self: HttpStream) -> Generator[Any, Any, None]:
        # The switch at the headers comes from state_wait_for_request_headers; the mid-body
        # switch from check_body_size while the body is being consumed.
        if self.client_state == self.state_consume_request_body:
            yield RequestStreamHook(self.flow)
            if (yield from self.check_killed(True)):
                return
        yield from original(self)

    start_request_stream._late_stream_hook = True  # type: ignore[attr-defined]
    HttpStream.start_request_stream = start_request_stream  # type: ignore[method-assign]
