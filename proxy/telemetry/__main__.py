"""The exporter process: ``python -m proxy.telemetry``, started by the proxy
(``proxy.telemetry.handoff.GenAiTelemetry``) with the OTLP endpoint in its environment
(``ENDPOINT_VARIABLE``), never by hand.

It reads batches of calls from its stdin (the proxy's pipe) and exports them; end of file is
its signal to stop, whether the proxy closed the pipe or died (``kill -9`` included): it then
exports what it holds and exits within ``FLUSH_SECONDS``, so that it never outlives the proxy
by more. It runs at the idle scheduling class (``SCHED_IDLE``, else nice 19): on a core it
shares with the proxy it only ever takes time the proxy leaves. Ctrl-C in a terminal reaches the
whole process group: the exporter ignores it and stops when the proxy closes the pipe.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from agentops.logs import configure_logging
from proxy.telemetry._exporter import GenAiExporter
from proxy.telemetry._fields import ENDPOINT_VARIABLE, read_frames

log = logging.getLogger("proxy.telemetry.exporter")

READY = b"ready\n"  # written to stdout once the SDK is set up
FLUSH_SECONDS = 5.0


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _yield_priority()
    configure_logging(args.log_level, args.log_format)
    endpoint = os.environ[ENDPOINT_VARIABLE]  # noqa: TID251 (set by the proxy that started us)
    exporter = GenAiExporter(endpoint, metrics_interval_seconds=args.metrics_interval)
    os.write(sys.stdout.fileno(), READY)
    for batch in read_frames(sys.stdin.buffer):
        for call in batch:
            try:
                exporter.export(call)
            except Exception:  # one bad call must not stop the export of the others
                log.exception("OpenTelemetry span not built", extra={"call_id": call.call_id})
    _stop(exporter)


def _stop(exporter: GenAiExporter) -> None:
    flushing = threading.Thread(target=exporter.shutdown, name="otel-flush", daemon=True)
    flushing.start()
    flushing.join(FLUSH_SECONDS)
    if flushing.is_alive():  # a collector down or too slow: what is left is dropped
        log.warning("OpenTelemetry export not flushed in time", extra={"seconds": FLUSH_SECONDS})
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(0)  # the SDK's threads are still waiting on the collector


def _yield_priority() -> None:
    """The idle class on Linux (preempted as soon as the proxy's loop wakes up), else nice 19;
    the SDK's threads, created later, inherit it."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m proxy.telemetry", description=__doc__)
    parser.add_argument("--metrics-interval", type=float, default=60.0)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--log-format", default="json")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
