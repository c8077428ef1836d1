"""Tolerant readers of decoded JSON: providers add, drop and null fields, and a meter must
never raise on a shape it did not expect."""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(body: bytes | str) -> tuple[Any, str | None]:
    """(value, None) or (None, a short reason).

    orjson first (half the CPU of ``json`` on a chat request); what it refuses and ``json``
    accepts (integers past 64 bits, ``NaN``, a UTF-16 body, a lone surrogate) and every error
    message still come from ``json``."""
    try:
        return orjson.loads(body), None
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"invalid json: {str(exc)[:120]}"


def loads_object(body: bytes | str) -> tuple[dict[str, Any], None] | tuple[None, str]:
    """(the JSON object, None) or (None, a short reason it is not one)."""
    data, error = loads(body)
    if error is None and isinstance(data, dict):
        return data, None
    return None, error or "body is not an object"


def obj(value: Any, *keys: str) -> dict[str, Any]:
    """The dict at ``value[k1][k2]...``, or an empty dict."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def num(value: Any, key: str) -> int:
    """A non-negative int field, 0 when missing, null or malformed."""
    raw = value.get(key) if isinstance(value, dict) else None
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 0


def text(value: Any, key: str) -> str | None:
    raw = value.get(key) if isinstance(value, dict) else None
    return raw if isinstance(raw, str) else None


def items(value: Any, key: str) -> list[Any]:
    raw = value.get(key) if isinstance(value, dict) else None
    return raw if isinstance(raw, list) else []


def has(value: Any, key: str) -> bool:
    return isinstance(value, dict) and value.get(key) is not None
