"""Addon: measure the response as it passes, never holding it back.

Streams (SSE, AWS event streams) get ``flow.response.stream`` set to a tee that feeds each chunk
to the adapter's ``StreamMeter`` and returns it unchanged; time to first token is taken when the
meter first sees one. Non-streamed answers are parsed in ``response``. In ``error``, a client
that went away is a cancelled call; anything else is an upstream failure.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from typing import Protocol

from mitmproxy import http

from agentops.wire.record import CallStatus
from proxy.providers.base import ResponseFacts, StreamMeter
from proxy.state import CallState, call_state

log = logging.getLogger(__name__)

TOO_LARGE = "response_body_too_large"
_STREAM_TYPES = ("text/event-stream", "application/vnd.amazon.eventstream", "application/x-ndjson")


class StreamCut(Protocol):
    """``(org, agent, key_id)`` -> (message, code) when a kill must cut that caller's live
    streams, else None. ``generation`` moves whenever a verdict may change (a control snapshot
    applied): a stream asks again only then, so a chunk costs one comparison."""

    generation: int

    def __call__(self, org: str, agent: str, key_id: str | None) -> tuple[str, str] | None: ...


# Close the provider connection under a call we cut (proxy._mitm.close_upstream).
CloseUpstream = Callable[[http.HTTPFlow], bool]


# A stream we cut: what upstream still sends is dropped.
_CUT = (CallStatus.KILLED, CallStatus.REFUSED)


class StreamTee:
    """The ``flow.response.stream`` callable: count, meter, pass through unchanged; or, once a
    kill covers the caller or the running cost passes what a hard run or agent budget left for
    the call, end the stream with the provider's own error event.

    The budget check prices ceil(chars / 4) output tokens over the meter's text so far (no
    tokenizer per chunk), after each chunk; the chunk that crosses is dropped, so the spend
    overshoots the budget by at most that one chunk."""

    def __init__(
        self,
        state: CallState,
        meter: StreamMeter | None,
        cut: StreamCut | None = None,
        on_cut: Callable[[], object] | None = None,
    ) -> None:
        self._state = state
        self._meter = meter
        self._cut = cut
        self._cut_seen = -1  # the cut's generation this stream was last judged at
        self._on_cut = on_cut  # stop the provider: it would go on generating, and billing
        identity = state.identity
        if cut is not None and identity is not None:
            # Judged now, with the response headers, not on the path of the first chunk (a
            # provider sends its headers before it has a token); one that must be cut is cut
            # at its first chunk, judged again.
            # Never in the way of the tee's install: a failing judgment is made again there.
            generation = cut.generation
            try:
                if cut(identity.org, identity.agent, identity.key_id) is None:
                    self._cut_seen = generation
            except Exception:
                log.exception("stream kill check failed", extra={"call_id": str(state.call_id)})

    def __call__(self, chunk: bytes) -> bytes:
        state = self._state
        if state.status is not None and state.status in _CUT:
            return b""
        if not chunk:
            return chunk
        cut = self._cut
        if cut is not None and cut.generation != self._cut_seen and state.identity is not None:
            # Judged again after each control snapshot applied (a kill cuts at the next
            # chunk); the generation is read before asking, so a snapshot applied meanwhile is
            # asked about at the next chunk.
            generation, identity = cut.generation, state.identity
            verdict = cut(identity.org, identity.agent, identity.key_id)  # memory only
            if verdict is not None:
                return self._end(CallStatus.KILLED, *verdict)
            self._cut_seen = generation
        state.response_bytes += len(chunk)
        meter = self._meter
        if meter is None:
            return chunk
        try:
            meter.feed(chunk)
            if state.t_first_token is None and meter.first_token_seen():
                state.t_first_token = time.time()
        except Exception:
            log.exception("stream meter failed", extra={"call_id": str(state.call_id)})
            self._meter = None  # stop metering, keep forwarding
            return chunk
        if state.budget is not None:
            over = state.budget.stream_cut(meter.output_chars())
            if over is not None:
                return self._end(CallStatus.REFUSED, *over)
        return chunk

    def _end(self, status: CallStatus, message: str, code: str) -> bytes:
        state = self._state
        state.status = status
        state.t_done = time.time()
        state.error_message = message
        state.refusal_reason = code
        if self._meter is not None:
            state.response = _finish(self._meter, state)  # usage up to the cut
        if self._on_cut is not None:
            self._on_cut()
        if state.adapter is None:
            return b""
        return state.adapter.stream_error_event(message, code)


def _closer(flow: http.HTTPFlow, close: CloseUpstream | None) -> Callable[[], object] | None:
    """``close(flow)`` for the tee, holding the flow weakly: the tee hangs off the flow's
    response, and a strong reference back would make every streamed call a reference cycle,
    kept in memory until a full collection (``tests/proxy/test_service_stream_garbage.py``)."""
    if close is None:
        return None
    ref = weakref.ref(flow)

    def on_cut() -> object:
        live = ref()
        return close(live) if live is not None else None

    return on_cut


class Meter:
    def __init__(
        self, cut: StreamCut | None = None, close_upstream: CloseUpstream | None = None
    ) -> None:
        self._cut = cut
        self._close_upstream = close_upstream

    def request(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is not None and flow.response is None:
            state.t_sent = time.time()  # last request hook of the chain: goes upstream now

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is None or state.status is not None or flow.response is None:
            return
        response = flow.response
        state.http_status = response.status_code
        # The tee's bound method, not the tee: mitmproxy calls it per chunk, and a bound method
        # call is about half the cost of an instance's ``__call__`` (~50 ns a chunk).
        if _is_stream(response, state) and state.adapter and state.endpoint:
            state.meter = state.adapter.stream_meter(state.endpoint, state.request)
            on_cut = _closer(flow, self._close_upstream)
            response.stream = StreamTee(state, state.meter, self._cut, on_cut).__call__
        elif response.stream:
            # mitmproxy streams bodies over the size limit; count them, do not parse them.
            response.stream = StreamTee(state, None).__call__

    def response(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is None or state.status is not None or flow.response is None:
            return
        state.t_done = time.time()
        facts = self._facts(flow.response, state)
        state.response = facts
        state.status = _status(flow.response.status_code, facts)

    def error(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is None or state.status is not None:
            return
        state.t_done = time.time()
        message = flow.error.msg if flow.error else "unknown error"
        state.error_message = message
        if state.meter is not None:
            state.response = _finish(state.meter, state)
        client_left = "client" in message.lower()
        if client_left and state.response is not None and state.response.stream_completed:
            # The SDK closed right after the terminal event, before the upstream's end of
            # body: the agent got the whole answer, so the call is ok, not cancelled.
            state.status = CallStatus.OK
            state.error_message = None
            return
        state.status = CallStatus.CANCELLED if client_left else CallStatus.UPSTREAM_FAILED

    def _facts(self, response: http.Response, state: CallState) -> ResponseFacts:
        if state.meter is not None:
            return _finish(state.meter, state)
        if response.stream:
            return ResponseFacts(parse_error=TOO_LARGE)
        body = response.raw_content or b""
        state.response_bytes = len(body)
        if state.adapter is None or state.endpoint is None or not state.endpoint.metered:
            return ResponseFacts()
        try:
            content = response.get_content(strict=False) or b""
            return state.adapter.parse_response(state.endpoint, response.status_code, content)
        except Exception as exc:
            log.exception("response parse failed", extra={"call_id": str(state.call_id)})
            return ResponseFacts(parse_error=f"adapter_error: {type(exc).__name__}")


def _is_stream(response: http.Response, state: CallState) -> bool:
    if response.status_code >= 400:
        return False
    if state.request.stream or (state.endpoint is not None and state.endpoint.streaming_hint):
        return True  # asked for a stream: the headers need not be read (a multidict walk)
    content_type: str = response.headers.get("content-type", "")
    return content_type.lower().startswith(_STREAM_TYPES)


def _finish(meter: StreamMeter, state: CallState) -> ResponseFacts:
    try:
        return meter.finish()
    except Exception as exc:
        log.exception("stream meter finish failed", extra={"call_id": str(state.call_id)})
        return ResponseFacts(parse_error=f"adapter_error: {type(exc).__name__}")


def _status(http_status: int, facts: ResponseFacts) -> CallStatus:
    if http_status >= 400:
        return CallStatus.ERROR
    if facts.parse_error is not None and facts.parse_error != TOO_LARGE:
        return CallStatus.UPSTREAM_FAILED  # forwarded untouched, but not a usable answer
    return CallStatus.OK
