"""Input checks shared by every route: text the database can store, errors that name fields."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from control_plane.errors import BadRequestError, ValidationFailedError

# Deepest JSON nesting any of our documents needs is under 10; 64 leaves room for free-form
# payloads (tags, policy conditions) while every recursive walk stays far from Python's limit.
MAX_JSON_DEPTH = 64


def check_depth(value: Any, where: str = "body") -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH`` (400), walked without recursion so a
    hostile document cannot raise RecursionError in our own checks or in pydantic."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        if not children:
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadRequestError(
                f"{where} is nested deeper than {MAX_JSON_DEPTH} levels", code="too_deep"
            )
        stack.extend((child, depth + 1) for child in children)


def check_path(params: dict[str, str]) -> None:
    """Path parameters are text we may look up or echo: refuse NUL and lone surrogates (400)."""
    for name, value in params.items():
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise BadRequestError(
                f"path parameter {name} must not contain control characters",
                code="invalid_path",
                details=[{"field": name, "location": "path", "message": "control characters"}],
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequestError(
                f"path parameter {name} is not valid Unicode text",
                code="invalid_path",
                details=[{"field": name, "location": "path", "message": "invalid Unicode"}],
            ) from None


def check_text(value: Any, where: str, path: str = "") -> None:
    """Refuse NUL characters and lone surrogates anywhere (PostgreSQL cannot store them)."""
    if isinstance(value, str):
        if "\x00" in value:
            _fail(where, path, "must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _fail(where, path, "is not valid Unicode text")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, where, f"{path}.{key}" if path else str(key))
            check_text(item, where, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text(item, where, f"{path}.{index}" if path else str(index))


def _fail(where: str, path: str, problem: str) -> None:
    field = path or where
    raise ValidationFailedError(
        f"{field}: {problem}",
        details=[{"field": field, "location": where, "message": problem}],
    )


def validation_error(exc: ValidationError, where: str) -> ValidationFailedError:
    """A 422 whose message and details name each failing field."""
    details = [
        {
            "field": ".".join(str(part) for part in err["loc"]) or where,
            "location": where,
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first = details[0]
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return ValidationFailedError(
        f"invalid {where}: {first['field']}: {first['message']}{more}", details=details
    )
