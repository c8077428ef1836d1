"""The per-call series expose exactly what prometheus_client's own Counter and Histogram do."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics

import agentops.build_metrics  # noqa: F401 - no ``_created`` samples, as the product runs
from proxy.call_metrics import CallMetrics, CounterSeries, HistogramSeries

_BUCKETS = (0.0005, 0.1, 1.0)


def test_the_exposition_is_the_client_librarys() -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    calls = Counter("t_calls_total", "Calls.", ["provider", "status"], registry=theirs)
    duration = Histogram(
        "t_duration_seconds", "D.", ["provider"], buckets=_BUCKETS, registry=theirs
    )
    overhead = Histogram("t_overhead_seconds", "O.", buckets=_BUCKETS, registry=theirs)
    our_calls = CounterSeries("t_calls_total", "Calls.", ["provider", "status"])
    our_duration = HistogramSeries("t_duration_seconds", "D.", ["provider"], buckets=_BUCKETS)
    our_overhead = HistogramSeries("t_overhead_seconds", "O.", [], buckets=_BUCKETS)
    ours.register(CallMetrics(our_calls, our_duration, our_overhead))
    assert generate_latest(ours) == generate_latest(theirs)  # the unlabelled series from the start

    for value in (0.0005, 0.0001, 0.5, 3.0, 0.1, 1.0):  # on bounds, between, past the last
        calls.labels("openai", "ok").inc()
        our_calls.inc(("openai", "ok"))
        calls.labels("openai", "error").inc(2.5)
        our_calls.inc(("openai", "error"), 2.5)
        duration.labels("openai").observe(value)
        our_duration.observe(("openai",), value)
    overhead.observe(0.2)
    our_overhead.observe((), 0.2)

    assert generate_latest(ours) == generate_latest(theirs)
    assert openmetrics(ours) == openmetrics(theirs)  # type: ignore[no-untyped-call]
