"""Budget logic with no I/O: period windows, threshold crossing, forecasts.

Everything here takes the clock and the spend as arguments, so it is tested with fixed
instants and time zones and runs the same in the API, the worker and the ingest hook.
"""

from control_plane.budgets.forecast import project_spend
from control_plane.budgets.periods import PERIODS, Period, Window, window_at
from control_plane.budgets.thresholds import percent_of, reached_thresholds

__all__ = [
    "PERIODS",
    "Period",
    "Window",
    "percent_of",
    "project_spend",
    "reached_thresholds",
    "window_at",
]
