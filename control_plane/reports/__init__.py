"""Cost reports for finance (pure): grouping facts into report lines, CSV, and FOCUS 1.2."""

from control_plane.reports.focus import FOCUS_COLUMNS, focus_rows
from control_plane.reports.lines import DIMENSIONS, Line, Names, build_lines, totals
from control_plane.reports.render import csv_text, report_columns

__all__ = [
    "DIMENSIONS",
    "FOCUS_COLUMNS",
    "Line",
    "Names",
    "build_lines",
    "csv_text",
    "focus_rows",
    "report_columns",
    "totals",
]
