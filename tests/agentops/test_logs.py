"""Logs are one JSON object per line and carry the current request/call id."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from agentops.logs import JsonFormatter, configure_logging, request_id_var


def _format(record: logging.LogRecord) -> dict[str, object]:
    return dict(json.loads(JsonFormatter().format(record)))


def test_a_log_line_is_json_with_level_logger_and_message() -> None:
    record = logging.LogRecord("agentops.test", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    line = _format(record)
    assert line["level"] == "info"
    assert line["logger"] == "agentops.test"
    assert line["msg"] == "hello x"
    assert "request_id" not in line


def test_the_request_id_in_context_and_extra_fields_are_included() -> None:
    token = request_id_var.set("req-123")
    try:
        record = logging.LogRecord("a", logging.WARNING, __file__, 1, "m", (), None)
        record.call_id = "c-1"
        line = _format(record)
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "req-123"
    assert line["call_id"] == "c-1"


def test_with_a_log_file_the_terminal_gets_warnings_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`agentops up`: every line in the file, only warnings under the banner."""
    log_file = tmp_path / "logs" / "agentops.log"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("INFO", "json", log_file=log_file, console_level="WARNING")
        logging.getLogger("agentops.test").info("proxy heartbeat sent")
        logging.getLogger("agentops.test").warning("control state is stale")
        for handler in root.handlers:
            handler.flush()
        in_file = [json.loads(line)["msg"] for line in log_file.read_text().splitlines()]
        on_terminal = [json.loads(line)["msg"] for line in capsys.readouterr().err.splitlines()]
    finally:
        for handler in root.handlers[:]:
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])
    assert in_file == ["proxy heartbeat sent", "control state is stale"]
    assert on_terminal == ["control state is stale"]
