"""Refusals and stream-cutting errors in each provider's own error shape.

A refusal must read to the agent's SDK like the provider's own answer: the right status class
(403 → PermissionDeniedError, 429 → RateLimitError), a message naming our reference id, and
``x-should-retry: false`` so SDKs that honour it (openai, anthropic) do not hammer the gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from proxy.providers.base import Refusal
from proxy.providers.eventstream import exception_frame

RETRY_AFTER_SECONDS = 60

# status → (openai/anthropic error type, Google RPC status, AWS exception name)
_NAMES: dict[int, tuple[str, str, str]] = {
    400: ("invalid_request_error", "INVALID_ARGUMENT", "ValidationException"),
    401: ("authentication_error", "UNAUTHENTICATED", "UnrecognizedClientException"),
    403: ("permission_error", "PERMISSION_DENIED", "AccessDeniedException"),
    404: ("not_found_error", "NOT_FOUND", "ResourceNotFoundException"),
    408: ("timeout_error", "DEADLINE_EXCEEDED", "ModelTimeoutException"),
    413: ("request_too_large", "INVALID_ARGUMENT", "ValidationException"),
    429: ("rate_limit_error", "RESOURCE_EXHAUSTED", "ThrottlingException"),
    500: ("api_error", "INTERNAL", "InternalServerException"),
    503: ("overloaded_error", "UNAVAILABLE", "ServiceUnavailableException"),
}


def names(status: int) -> tuple[str, str, str]:
    return _NAMES.get(status, _NAMES[500] if status >= 500 else _NAMES[400])


def with_reference(message: str, reference: str) -> str:
    return f"{message} (AgentOps reference: {reference})"


def headers(status: int, reference: str, content_type: str = "application/json") -> dict[str, str]:
    out = {
        "content-type": content_type,
        "x-should-retry": "false",
        "x-agentops-reference": reference,
    }
    if status == 429:
        out["retry-after"] = str(RETRY_AFTER_SECONDS)
    return out


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def openai_body(status: int, message: str, code: str) -> dict[str, Any]:
    kind = "insufficient_quota" if code == "budget_exceeded" else names(status)[0]
    if kind == "permission_error":
        kind = "permission_denied"  # OpenAI's own spelling
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def openai_refusal(status: int, message: str, code: str, reference: str) -> Refusal:
    body = openai_body(status, with_reference(message, reference), code)
    return Refusal(status, headers(status, reference), _dump(body))


def openai_stream_error(message: str, code: str) -> bytes:
    return b"data: " + _dump(openai_body(403, message, code)) + b"\n\n"


def anthropic_body(status: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": names(status)[0], "message": message}}


def anthropic_refusal(status: int, message: str, code: str, reference: str) -> Refusal:
    body = anthropic_body(status, with_reference(message, reference))
    return Refusal(status, headers(status, reference), _dump(body))


def anthropic_stream_error(message: str, code: str) -> bytes:
    return b"event: error\ndata: " + _dump(anthropic_body(403, message)) + b"\n\n"


def gemini_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": names(status)[1]}}


def gemini_refusal(status: int, message: str, code: str, reference: str) -> Refusal:
    body = gemini_body(status, with_reference(message, reference))
    return Refusal(status, headers(status, reference), _dump(body))


def gemini_stream_error(message: str, code: str) -> bytes:
    # Gemini ends a failing SSE stream with an error object as the last data event.
    return b"data: " + _dump(gemini_body(403, message)) + b"\r\n\r\n"


def bedrock_refusal(status: int, message: str, code: str, reference: str) -> Refusal:
    out = headers(status, reference)
    out["x-amzn-errortype"] = (
        f"{names(status)[2]}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
    return Refusal(status, out, _dump({"message": with_reference(message, reference)}))


def bedrock_stream_error(message: str, code: str) -> bytes:
    return exception_frame("accessDeniedException", _dump({"message": message}))


@dataclass(frozen=True)
class ErrorShape:
    """One provider's error format: a refusal before the call (even for ``stream=true`` the
    providers refuse with a plain error before any event), and the event that cuts a stream."""

    refusal: Callable[[int, str, str, str], Refusal]
    stream_error: Callable[[str, str], bytes]


OPENAI = ErrorShape(openai_refusal, openai_stream_error)
ANTHROPIC = ErrorShape(anthropic_refusal, anthropic_stream_error)
GEMINI = ErrorShape(gemini_refusal, gemini_stream_error)
BEDROCK = ErrorShape(bedrock_refusal, bedrock_stream_error)


class RefusesInShape:
    """An adapter's ``refusal`` and ``stream_error_event``, in its class's ``error_shape``."""

    error_shape: ClassVar[ErrorShape]

    def refusal(
        self, status: int, message: str, code: str, reference: str, *, streaming: bool
    ) -> Refusal:
        return self.error_shape.refusal(status, message, code, reference)

    def stream_error_event(self, message: str, code: str) -> bytes:
        return self.error_shape.stream_error(message, code)
