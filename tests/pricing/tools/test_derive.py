"""``python -m pricing.tools.derive``: the community file is named, never looked up elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from pricing._table import PriceTable, parse_json
from pricing.tools.derive import main

EXCERPT = Path(__file__).parents[1] / "community_excerpt.json"


def test_it_derives_the_table_from_the_file_it_is_given(tmp_path: Path) -> None:
    out = tmp_path / "prices.json"
    assert main([str(EXCERPT), "--out", str(out), "--effective-date", "2026-01-01"]) == 0
    table = PriceTable.from_dict(parse_json(out.read_bytes()))
    assert len(table) > 0
    assert table.effective_date == "2026-01-01"


def test_without_a_community_file_it_stops_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([])
    assert stopped.value.code == 2
    assert "required: source" in capsys.readouterr().err
