"""The per-call Prometheus metrics, counted in plain dicts and exposed at scrape time.

``prometheus_client``'s ``inc``/``observe`` take a lock and walk a child's structures on every
call; with seven series per call that was ~2% of the proxy's CPU per call. The event loop owns
these counts (one thread writes them), so a dict entry per label set is enough; ``collect``
turns them into the same families, names, labels and buckets that ``Counter`` and ``Histogram``
expose (without ``_created`` samples, which ``agentops.build_metrics`` turns off for every
metric), so the exposition is unchanged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

Labels = tuple[str, ...]


@dataclass(slots=True)
class _Buckets:
    counts: list[int]  # per bucket, not cumulative; the last one is +Inf
    total: float = 0.0


class CounterSeries:
    """A labelled counter: ``name`` as ``Counter`` takes it (``_total`` added if missing)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, list(labelnames)
        self._values: dict[Labels, float] = {}

    def inc(self, labels: Labels, amount: float = 1.0) -> None:
        values = self._values
        values[labels] = values.get(labels, 0.0) + amount

    def family(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in list(self._values.items()):
            family.add_metric(labels, value)
        return family


class HistogramSeries:
    """A histogram; one without label names has its single series from the start, as
    ``Histogram`` does."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, list(labelnames)
        self._bounds = [*buckets, float("inf")]
        self._le = [floatToGoString(b) for b in self._bounds]  # type: ignore[no-untyped-call]
        self._values: dict[Labels, _Buckets] = {}
        if not self.labelnames:
            self._values[()] = self._new()

    def _new(self) -> _Buckets:
        return _Buckets([0] * len(self._bounds))

    def observe(self, labels: Labels, amount: float) -> None:
        entry = self._values.get(labels)
        if entry is None:
            entry = self._values[labels] = self._new()
        entry.counts[bisect_left(self._bounds, amount)] += 1
        entry.total += amount

    def family(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, entry in list(self._values.items()):
            cumulative, buckets = 0, []
            for le, count in zip(self._le, list(entry.counts), strict=True):
                cumulative += count
                buckets.append((le, float(cumulative)))
            family.add_metric(labels, buckets, entry.total)
        return family


class CallMetrics:
    """A Prometheus collector over the series above (``REGISTRY.register``)."""

    def __init__(self, *series: CounterSeries | HistogramSeries) -> None:
        self._series = series

    def collect(self) -> Iterator[Metric]:
        for series in self._series:
            yield series.family()
