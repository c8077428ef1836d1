"""The proxy's side of the OpenTelemetry export: a cheap hand-off per call to an exporter
process it starts, watches and restarts.

``record`` (on the event loop, after the record is spooled) appends the call's plain facts
(``_fields.call_fields``, a few us) to a list; every ``FLUSH_SECONDS``, or at ``FLUSH_CALLS``
calls, the list goes down the exporter's stdin as one frame through the loop's non-blocking pipe
transport. Nothing here waits: a frame the pipe cannot take yet stays in the transport's buffer,
and past ``MAX_UNSENT_BYTES`` there (an exporter that stopped reading), or while no exporter runs,
calls are dropped and counted (``agentops_proxy_otel_dropped_calls_total``), never logged one by
one. The exporter dying (crash, ``kill -9``, out of memory) is logged once per exit; it is
restarted after ``RESTART_DELAYS`` (growing while it keeps dying young). Stopping closes the pipe:
the exporter exports what it holds and exits; one that does not within ``STOP_SECONDS`` is
killed. A proxy killed outright closes the pipe too (the kernel does), so the exporter, reading
end of file, exits as well and is never left behind.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mitmproxy.http import Headers

from proxy import metrics
from proxy.telemetry._fields import ENDPOINT_VARIABLE, call_fields, frame

if TYPE_CHECKING:
    from agentops.wire.record import CallRecord

log = logging.getLogger("proxy.telemetry")

FLUSH_SECONDS = 0.1
FLUSH_CALLS = 256
MAX_UNSENT_BYTES = 4 * 2**20  # ~15,000 calls waiting for the exporter to read them
READY_SECONDS = 60.0  # the first start: the exporter imports the SDK and builds its providers
STOP_SECONDS = 10.0  # the exporter's own flush deadline is 5 s
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
SETTLED_SECONDS = 60.0  # an exporter that lived this long resets the restart delay
_TRACE_HEADERS = (b"traceparent", b"tracestate")
_ROOT = str(Path(__file__).resolve().parents[2])  # where this ``proxy`` package was imported from


class ExporterFailed(RuntimeError):
    """The exporter process did not start (its log lines say why)."""


class GenAiTelemetry:
    def __init__(
        self,
        endpoint: str,
        *,
        metrics_interval_seconds: float = 60.0,
        log_level: str = "INFO",
        log_format: str = "json",
    ) -> None:
        # This interpreter, this code: ``-P`` keeps the working directory off the exporter's
        # path, where another checkout's ``proxy`` package would win over ours.
        self._argv = [
            sys.executable, *(["-O"] * sys.flags.optimize), "-P", "-m", "proxy.telemetry",
            "--metrics-interval", str(metrics_interval_seconds),
            "--log-level", log_level, "--log-format", log_format,
        ]  # fmt: skip
        inherited = os.environ.get("PYTHONPATH")  # noqa: TID251 (the exporter's, not our config)
        self._env = dict(os.environ) | {  # noqa: TID251
            "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, inherited])),
            ENDPOINT_VARIABLE: endpoint,
        }
        self._batch: list[tuple[object, ...]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._pipe: asyncio.WriteTransport | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def exporter_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Start the exporter and wait until it is ready; ``ExporterFailed`` if it exits first."""
        process = await self._spawn()
        assert process.stdout is not None
        try:
            ready = await asyncio.wait_for(process.stdout.readline(), READY_SECONDS)
        except TimeoutError:
            ready = b""
        if not ready:
            await self._kill(process)
            raise ExporterFailed("the OpenTelemetry exporter process did not start")
        self._watcher = asyncio.create_task(self._watch(process), name="otel-exporter-watch")

    def record(self, record: CallRecord, headers: Mapping[str, str]) -> None:
        """Queue one finished call (``headers``: the request's, for its trace context)."""
        if not record.metered:
            return
        batch = self._batch
        batch.append(call_fields(record, *_trace_context(headers)))
        if len(batch) >= FLUSH_CALLS:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch = self._batch, []
        if not batch:
            return
        pipe = self._pipe
        if pipe is None or pipe.is_closing() or pipe.get_write_buffer_size() > MAX_UNSENT_BYTES:
            metrics.OTEL_DROPPED.inc(len(batch))
            return
        pipe.write(frame(batch))

    async def _spawn(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *self._argv,
            env=self._env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None
        self._process = process
        self._pipe = process.stdin.transport
        return process

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        """Restart the exporter each time it dies, after a delay that grows while it dies young."""
        failures = 0
        while True:
            started = time.monotonic()
            code = await process.wait()
            self._pipe = None
            if self._stopping:
                return
            if time.monotonic() - started >= SETTLED_SECONDS:
                failures = 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            failures += 1
            log.warning(
                "OpenTelemetry exporter process exited; calls are dropped until it restarts",
                extra={"pid": process.pid, "exit_code": code, "restart_in_seconds": delay},
            )
            metrics.OTEL_EXPORTER_RESTARTS.inc()
            process = await self._respawn(delay)

    async def _respawn(self, delay: float) -> asyncio.subprocess.Process:
        while True:
            await asyncio.sleep(delay)
            try:
                return await self._spawn()
            except OSError as exc:  # no process to be had (memory, process limit): try later
                delay = RESTART_DELAYS[-1]
                log.warning(
                    "OpenTelemetry exporter process not started",
                    extra={"error": repr(exc), "restart_in_seconds": delay},
                )

    async def stop(self) -> None:
        """Hand the exporter what is queued, close its pipe and wait (bounded) for it to export
        and exit; kill it past ``STOP_SECONDS``."""
        self._stopping = True
        self._flush()
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        process, pipe = self._process, self._pipe
        self._process = self._pipe = None
        if process is None:
            return
        if pipe is not None:
            pipe.close()  # after what it holds: the exporter reads it all, then end of file
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            log.warning(
                "OpenTelemetry exporter did not stop in time; killed", extra={"pid": process.pid}
            )
            await self._kill(process)

    @staticmethod
    async def _kill(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.kill()
        await process.wait()


def _trace_context(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The request's ``traceparent`` and ``tracestate``, repeated headers joined as mitmproxy
    joins them: one pass over its raw fields (two ``get`` calls decode and lower-case every
    header name twice, ~4x the time)."""
    if not isinstance(headers, Headers):
        return headers.get("traceparent"), headers.get("tracestate")
    found: dict[bytes, str] = {}
    for name, value in headers.fields:
        if len(name) in (10, 11) and (lowered := name.lower()) in _TRACE_HEADERS:
            text = value.decode("latin-1")
            found[lowered] = f"{found[lowered]}, {text}" if lowered in found else text
    return found.get(b"traceparent"), found.get(b"tracestate")
