"""Tables: coloured on a terminal, plain when piped, never coloured with NO_COLOR set."""

from __future__ import annotations

import sys

import pytest

from cli._output import render

ROWS = [{"name": "scraper", "status": "killed"}, {"name": "refund-bot", "status": "active"}]


def _table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tty: bool) -> str:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    render(ROWS, "table")
    return capsys.readouterr().out


@pytest.mark.parametrize("no_color", [None, ""])
def test_a_terminal_gets_a_bold_header_and_coloured_statuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_color: str | None
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)  # empty: not set, says no-color.org
    lines = _table(monkeypatch, capsys, tty=True).splitlines()
    assert lines[0].startswith("\x1b[1mNAME")
    assert lines[1] == "scraper     \x1b[31mkilled\x1b[0m"
    assert lines[2] == "refund-bot  \x1b[32mactive\x1b[0m"


@pytest.mark.parametrize(("tty", "no_color"), [(False, None), (True, "1"), (False, "")])
def test_piped_output_and_no_color_are_plain_aligned_text(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tty: bool,
    no_color: str | None,
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)  # no-color.org: any non-empty value
    assert _table(monkeypatch, capsys, tty).splitlines() == [
        "NAME        STATUS",
        "scraper     killed",
        "refund-bot  active",
    ]
