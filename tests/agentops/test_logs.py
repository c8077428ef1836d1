"""Logs are one JSON object per line and carry the current request/call id."""

from __future__ import annotations

import json
import logging

from agentops.logs import JsonFormatter, request_id_var


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
