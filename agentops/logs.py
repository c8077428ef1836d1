"""Structured JSON logs carrying the current request or call id.

The id lives in a context variable, so every line logged while serving one API request or one
proxied call carries it without being passed around. Secrets never reach a log line: callers log
ids, names and sizes, not headers or bodies.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("agentops_request_id", default=None)

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid is not None:
            payload["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(
    level: str = "INFO",
    fmt: str = "json",
    *,
    log_file: Path | None = None,
    console_level: str | None = None,
) -> None:
    """Install our handlers on the root logger (idempotent): stderr, and with ``log_file`` a
    rotating file (10 MB x 3) that gets every line at ``level`` while stderr gets only
    ``console_level`` and above (``agentops up`` keeps its terminal for its banner)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_agentops", False):
            root.removeHandler(old)
            old.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if console_level is not None:
        handlers[0].setLevel(console_level.upper())
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingFileHandler(log_file, maxBytes=10 << 20, backupCount=3))
    for handler in handlers:
        handler._agentops = True  # type: ignore[attr-defined]
        handler.setFormatter(_formatter(fmt))
        root.addHandler(handler)
    root.setLevel(level.upper())
    # mitmproxy and aiohttp access logs are noisy at INFO; our own addons log what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Alembic narrates every plugin and revision at INFO; migrations report their own outcome.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
