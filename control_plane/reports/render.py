"""CSV rendering of report lines (pure). Money is written as exact decimal text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from agentops.money import money_text
from control_plane.reports.lines import Line

MEASURES = ("calls", "unpriced_calls", "input_tokens", "output_tokens", "cost_usd",
            "unpriced_input_tokens", "unpriced_output_tokens", "pricing_status")  # fmt: skip


def report_columns(group_by: Sequence[str]) -> list[str]:
    return [*group_by, *MEASURES]


def line_values(line: Line, group_by: Sequence[str]) -> list[Any]:
    return [
        *(line.keys.get(dim, "") for dim in group_by),
        line.calls,
        line.unpriced_calls,
        line.input_tokens,
        line.output_tokens,
        money_text(line.cost_usd),
        line.unpriced_input_tokens,
        line.unpriced_output_tokens,
        line.pricing_status,
    ]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
