"""API errors: one exception hierarchy, one JSON shape.

Every error response is ``{"error": {"code", "message", "details", "request_id"}}``. Handlers
and services raise these; the error middleware renders them. A subclass names its HTTP status
and default code in its class line: ``class GoneError(ApiError, status=410, code="gone")``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 500
    code = "internal_error"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}
        if code is not None:
            self.code = code


class BadRequestError(ApiError, status=400, code="bad_request"): ...


class UnauthorizedError(ApiError, status=401, code="unauthorized"): ...


class ForbiddenError(ApiError, status=403, code="forbidden"): ...


class NotFoundError(ApiError, status=404, code="not_found"): ...


class ConflictError(ApiError, status=409, code="conflict"): ...


class PayloadTooLargeError(ApiError, status=413, code="payload_too_large"): ...


class ValidationFailedError(ApiError, status=422, code="validation_error"): ...


class RateLimitedError(ApiError, status=429, code="rate_limited"): ...


class UnavailableError(ApiError, status=503, code="unavailable"): ...


def found[T](value: T | None, message: str) -> T:
    """``value``, or a 404 saying ``message`` when the lookup that gave it found nothing."""
    if value is None:
        raise NotFoundError(message)
    return value
