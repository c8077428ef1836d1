"""Addon: write each call's record to the spool.

A streamed call is recorded twice under one call id: ``in_progress`` when its response starts
(so a crash or a stream that never ends stays visible) and final when it ends; the later
record supersedes the earlier one. Records carry no header and no body: provider credentials
cannot reach them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from mitmproxy import http

from agentops.wire.record import CallRecord
from pricing import billed_counts
from proxy import capture, metrics
from proxy.open_calls import OpenCalls
from proxy.records import CountText, RecordValues, record_values
from proxy.state import CallState, call_state

log = logging.getLogger(__name__)


class CallObserver(Protocol):
    """Told about every finished call (OpenTelemetry export); must not block."""

    def record(self, record: CallRecord, headers: Mapping[str, str]) -> None: ...


class RecordWriter(Protocol):
    def append_json(self, document: bytes) -> int | None: ...

    async def until_durable(self, seq: int) -> None: ...


# A spool that cannot commit (a dead disk) must not hang agents forever: past this, the
# response goes out and the failure is logged.
DURABLE_WAIT_SECONDS = 5.0
# A stream still open this long after its first byte gets the prompt estimate (and its cost)
# into its open-call file, off the path to the first byte and skipped by short streams.
OPEN_ESTIMATE_AFTER_SECONDS = 0.5
# A timer may fire this much before its due time (the loop's clock resolution).
_CLOCK_SLACK = 0.001


class Record:
    def __init__(
        self,
        writer: RecordWriter,
        *,
        count_text: CountText,
        azure_deployments: Mapping[str, str],
        proxy_id: str | None,
        durable_before_response: bool = False,
        capture_content: bool = False,
        observer: CallObserver | None = None,
        open_calls: OpenCalls | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._writer = writer
        self._clock = clock  # stamps a call's end (pinned by the record corpus's tests)
        self._open = open_calls
        self._observer = observer
        self._durable_before_response = durable_before_response
        self._capture_content = capture_content
        self._count_text = count_text
        self._azure = dict(azure_deployments)
        self._proxy_id = proxy_id
        # Streams waiting for their open-call estimate, by due time (``_estimate_later``), keyed
        # by their state's id (held here, so unique): a stream that ends leaves at once.
        self._estimates: OrderedDict[int, tuple[float, http.HTTPFlow, CallState]] = OrderedDict()
        self._estimate_timer: asyncio.TimerHandle | None = None

    # responseheaders and response are plain functions that return an awaitable only when the
    # answer waits for the record's fsync: mitmproxy's hook then runs without a task
    # (``proxy._mitm_hooks``).
    def responseheaders(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        state = _recordable(flow)
        if state is None or state.meter is None or state.in_progress_written:
            return None
        if self._durable_before_response:
            # fsync'd before the first byte reaches the agent.
            return self._durable(self._open_stream(flow, state))
        else:
            # Written in the loop's next turn, right after the headers (and the chunks that came
            # with them) are handed over to be sent: off the path to the first byte. A crash in
            # between loses the stream's record (docs/reliability.md).
            asyncio.get_running_loop().call_soon(self._open_stream, flow, state)
            return None

    def _open_stream(self, flow: http.HTTPFlow, state: CallState) -> int | None:
        """The stream's ``in_progress`` record: a crash mid-stream leaves a visible unfinished
        call, never nothing. Skipped once the call has ended (its final record supersedes)."""
        if state.in_progress_written or state.t_done is not None:
            return None
        state.in_progress_written = True
        document = self._build(flow, state, in_progress=True).document()
        if self._open is not None:
            # Finalised as interrupted from here if the proxy dies before the stream ends;
            # a stream still running a moment later gets its prompt estimate added then.
            self._open.add(str(state.call_id), document)
            self._estimate_later(flow, state)
        return self._write(document, state)

    def response(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        return self._durable(self._finish(flow))

    def error(self, flow: http.HTTPFlow) -> None:
        self._finish(flow)  # the client is gone: nobody to hold the answer from

    def done(self) -> None:
        if self._estimate_timer is not None:
            self._estimate_timer.cancel()
            self._estimate_timer = None
        if self._open is not None:
            self._open.close()

    def _estimate_later(self, flow: http.HTTPFlow, state: CallState) -> None:
        """Queue the stream for its estimate ``OPEN_ESTIMATE_AFTER_SECONDS`` from now: one timer
        serves the queue (due times come in order), not one timer per stream."""
        loop = asyncio.get_running_loop()
        self._estimates[id(state)] = (loop.time() + OPEN_ESTIMATE_AFTER_SECONDS, flow, state)
        if self._estimate_timer is None:
            self._estimate_timer = loop.call_later(OPEN_ESTIMATE_AFTER_SECONDS, self._estimate_due)

    def _estimate_due(self) -> None:
        loop = asyncio.get_running_loop()
        self._estimate_timer = None
        queue, now = self._estimates, loop.time() + _CLOCK_SLACK
        while queue:
            due, flow, state = next(iter(queue.values()))
            if due > now:
                self._estimate_timer = loop.call_at(due, self._estimate_due)
                return
            queue.popitem(last=False)
            self._estimate_open(flow, state)

    def _estimate_open(self, flow: http.HTTPFlow, state: CallState) -> None:
        if self._open is None or state.t_done is not None:
            return  # finished meanwhile: its final record is written, its file removed
        try:
            state.request.estimated_input_tokens  # noqa: B018 (computes and caches it)
            document = self._build(flow, state, in_progress=True).document()
            self._open.add(str(state.call_id), document)
        except Exception:  # the call goes on; at worst its interrupted record has no estimate
            log.exception("open-call estimate failed", extra={"call_id": str(state.call_id)})

    def _durable(self, seq: int | None) -> Awaitable[None] | None:
        if seq is None or not self._durable_before_response:
            return None
        return self._until_durable(seq)

    async def _until_durable(self, seq: int) -> None:
        try:
            await asyncio.wait_for(self._writer.until_durable(seq), DURABLE_WAIT_SECONDS)
        except TimeoutError:
            log.error("record not durable in time; answering anyway", extra={"seq": seq})

    def _finish(self, flow: http.HTTPFlow) -> int | None:
        state = _recordable(flow)
        if state is None:
            return None
        state.t_done = self._clock()
        values = self._build(flow, state, in_progress=False)
        if self._capture_content:
            _capture(flow, state, values.fields)
        seq = self._write(values.document(), state)
        if self._open is not None and state.in_progress_written:
            self._open.remove(str(state.call_id))
            self._estimates.pop(id(state), None)  # ended: no estimate, nothing held for it
        _observe(values)
        if self._observer is not None:
            self._observer.record(values.model(), flow.request.headers)
        if state.budget is not None:
            # Settled in the background (the gate's task set): the agent is not kept waiting.
            reached = state.http_status is not None and state.http_status < 400
            state.budget.close(values.total_usd, reached_provider=reached)
        # The spooled record and the metrics already carry these facts; one INFO line per call
        # cost ~5% of the proxy's CPU in the benchmark, so it is a debugging aid only.
        if log.isEnabledFor(logging.DEBUG):
            _log_call(values.fields)
        return seq

    def _build(self, flow: http.HTTPFlow, state: CallState, *, in_progress: bool) -> RecordValues:
        return record_values(
            state,
            count_text=self._count_text,
            azure_deployments=self._azure,
            proxy_id=self._proxy_id,
            request_end=flow.request.timestamp_end,
            response_end=flow.response.timestamp_end if flow.response else None,
            in_progress=in_progress,
        )

    def _write(self, document: bytes, state: CallState) -> int | None:
        seq = self._writer.append_json(document)
        if seq is None:
            log.warning("record not spooled: spool full", extra={"call_id": str(state.call_id)})
        return seq


def _capture(flow: http.HTTPFlow, state: CallState, fields: dict[str, Any]) -> None:
    """Opt-in content capture (``proxy.capture_content``), redacted by ``proxy.capture``."""
    if not fields["metered"] or state.endpoint is None:
        return
    if not flow.request.stream:
        fields["prompt"] = capture.prompt_text(
            state.endpoint.name, flow.request.get_content(strict=False) or b""
        )
    text = state.response.completion_text if state.response is not None else None
    if text is None and state.meter is not None:
        text = state.meter.output_text()
    fields["completion"] = capture.completion_text(text)


def _recordable(flow: http.HTTPFlow) -> CallState | None:
    state = call_state(flow)
    if state is None or state.identity is None or state.endpoint is None:
        return None
    return state


def _observe(values: RecordValues) -> None:
    fields = values.fields
    provider, status = fields["provider"], fields["status"].value
    metrics.CALLS.inc((provider, status))
    model = metrics.MODEL_LABEL(fields["model_served"] or fields["model_requested"])
    latency = fields["latency_ms"]
    if latency is not None:
        metrics.LLM_CALL_DURATION.observe((provider, model, status), latency / 1000)
    for token_class, count in billed_counts(values.usage).items():
        metrics.LLM_TOKENS.inc((provider, model, token_class), count)
    total = values.total_usd
    if total is not None:
        metrics.LLM_COST.inc((provider, model), float(total))
    elif fields["metered"] and (unpriced := fields["cost"]["unpriced_reason"]):
        metrics.UNPRICED_CALLS.inc((provider, unpriced))
    if fields["overhead_ms"] is not None:
        metrics.OVERHEAD.observe((), fields["overhead_ms"] / 1000)
    if fields["ttft_ms"] is not None:
        metrics.TTFT.observe((provider,), fields["ttft_ms"] / 1000)


def _log_call(fields: dict[str, Any]) -> None:
    log.debug(
        "call",
        extra={
            "call_id": str(fields["call_id"]),
            "agent": fields["agent"],
            "provider": fields["provider"],
            "endpoint": fields["endpoint"],
            "model": fields["model_served"] or fields["model_requested"],
            "status": fields["status"].value,
            "http_status": fields["http_status"],
            "latency_ms": fields["latency_ms"],
        },
    )
