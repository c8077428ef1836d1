"""Response helpers shared by the fake provider's routes: JSON, SSE streams, error shapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from aiohttp import web

from tests.fakeprovider.knobs import Knobs

GARBAGE = b"<html><body>502 upstream hiccup</body></html>"

_STATUS_NAMES = {
    400: ("invalid_request_error", "INVALID_ARGUMENT", "ValidationException"),
    401: ("authentication_error", "UNAUTHENTICATED", "UnrecognizedClientException"),
    403: ("permission_error", "PERMISSION_DENIED", "AccessDeniedException"),
    404: ("not_found_error", "NOT_FOUND", "ResourceNotFoundException"),
    429: ("rate_limit_error", "RESOURCE_EXHAUSTED", "ThrottlingException"),
    500: ("api_error", "INTERNAL", "InternalServerException"),
    503: ("overloaded_error", "UNAVAILABLE", "ServiceUnavailableException"),
    529: ("overloaded_error", "UNAVAILABLE", "ServiceUnavailableException"),
}


def error_names(status: int) -> tuple[str, str, str]:
    """(openai/anthropic type, gemini status, bedrock exception) for an HTTP status."""
    return _STATUS_NAMES.get(status, ("api_error", "UNKNOWN", "InternalServerException"))


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def garbage_response() -> web.Response:
    return web.Response(body=GARBAGE, status=200, content_type="application/json")


class StreamOutcome(NamedTuple):
    path: str
    frames_sent: int
    hung_up: bool  # the caller closed the connection before the last frame


STREAMS_KEY = web.AppKey("streams", list[StreamOutcome])


def sse_event(data: Any, event: str | None = None, *, crlf: bool = False) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    out = f"{head}data: {text}\n\n"
    return out.replace("\n", "\r\n").encode() if crlf else out.encode()


async def stream_response(
    request: web.Request,
    knobs: Knobs,
    frames: Iterable[bytes],
    content_type: str = "text/event-stream",
) -> web.StreamResponse:
    """Send pre-encoded frames one write each, pausing between them as the knobs say. How the
    stream ended (all sent, or the caller hung up after n frames) goes to ``request.app``'s
    ``STREAMS_KEY`` list, so a test can see whether a stream was stopped at the provider."""
    await knobs.wait_first_byte()
    response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
    await response.prepare(request)
    outcomes = request.app[STREAMS_KEY]
    sent = 0
    try:
        for frame in frames:
            if sent:
                await knobs.wait_chunk()
            await response.write(frame)
            sent += 1
        if knobs.end_delay_ms:
            await asyncio.sleep(knobs.end_delay_ms / 1000)
        await response.write_eof()
    except ConnectionResetError:
        outcomes.append(StreamOutcome(request.path, sent, hung_up=True))
        raise
    outcomes.append(StreamOutcome(request.path, sent, hung_up=False))
    return response
