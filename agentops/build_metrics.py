"""Metrics every process of ours exposes, defined once per process (collectors register at
import): ``agentops_build_info``, and no ``*_created`` series.

``_created`` samples (one per counter and histogram child, a Unix time) double the series count
and read as a second counter in most dashboards; OpenMetrics scrapers that want reset times
get them from the scrape itself. Both the proxy's and the control plane's metric modules import
this one, so in ``agentops up`` (one process, one registry) it is registered exactly once.
"""

from __future__ import annotations

import platform

from prometheus_client import Gauge, disable_created_metrics

from agentops import __version__

disable_created_metrics()  # type: ignore[no-untyped-call]

BUILD_INFO = Gauge(
    "agentops_build_info",
    "Always 1; the labels say which build and Python run this process.",
    ["version", "python"],
)
BUILD_INFO.labels(__version__, platform.python_version()).set(1)
