"""Gemini generateContent / streamGenerateContent (SSE with alt=sse, else a JSON array)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from tests.fakeprovider import expected as ex
from tests.fakeprovider.knobs import Knobs, read_knobs
from tests.fakeprovider.wire import (
    error_names,
    garbage_response,
    json_response,
    sse_event,
    stream_response,
)


def gemini_error(status: int, message: str) -> web.Response:
    return json_response(
        {"error": {"code": status, "message": message, "status": error_names(status)[1]}}, status
    )


def usage_metadata() -> dict[str, Any]:
    """Gemini's candidatesTokenCount excludes the thoughtsTokenCount reported beside it."""
    output = ex.COMPLETION_TOKENS - ex.REASONING_TOKENS
    return {
        "promptTokenCount": ex.PROMPT_TOKENS,
        "candidatesTokenCount": output,
        "totalTokenCount": ex.PROMPT_TOKENS + ex.COMPLETION_TOKENS,
        "cachedContentTokenCount": ex.CACHED_READ_TOKENS,
        "thoughtsTokenCount": ex.REASONING_TOKENS,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": ex.PROMPT_TOKENS}],
    }


def _chunk(
    model: str, parts: list[dict[str, Any]], finish: str | None, with_usage: bool
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    out: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model,
        "responseId": "fake-resp-0001",
    }
    if with_usage:
        out["usageMetadata"] = usage_metadata()
    return out


async def model_call(request: web.Request) -> web.StreamResponse:
    model, _, method = request.match_info["model_method"].partition(":")
    if method not in ("generateContent", "streamGenerateContent"):
        raise web.HTTPNotFound()
    knobs = read_knobs(request.headers)
    if knobs.status or knobs.garbage:
        await knobs.wait_first_byte()
        return (
            garbage_response() if knobs.garbage else gemini_error(knobs.status or 500, "fake error")
        )
    body = await request.json()
    thoughts = bool(
        ((body.get("generationConfig") or {}).get("thinkingConfig") or {}).get("includeThoughts")
    )
    if method == "generateContent":
        await knobs.wait_first_byte()
        parts = ([{"text": ex.THINKING_TEXT, "thought": True}] if thoughts else []) + [
            {"text": ex.REPLY_TEXT}
        ]
        return json_response(_chunk(model, parts, "STOP", not knobs.no_usage))
    chunks = list(_stream_chunks(model, thoughts, knobs))
    if request.query.get("alt") == "sse":
        return await stream_response(request, knobs, (sse_event(c, crlf=True) for c in chunks))
    return await stream_response(request, knobs, _json_array(chunks), "application/json")


def _stream_chunks(model: str, thoughts: bool, knobs: Knobs) -> Iterator[dict[str, Any]]:
    if thoughts:
        yield _chunk(model, [{"text": ex.THINKING_TEXT, "thought": True}], None, False)
    pieces = ex.split_text(ex.REPLY_TEXT, knobs.chunks)
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        yield _chunk(
            model, [{"text": piece}], "STOP" if last else None, last and not knobs.no_usage
        )


def _json_array(chunks: list[dict[str, Any]]) -> Iterator[bytes]:
    """The non-SSE stream: one pretty-printed JSON array, delivered element by element."""
    for i, chunk in enumerate(chunks):
        yield ("[" if i == 0 else ",\r\n").encode() + json.dumps(chunk, indent=2).encode()
    yield b"]"


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1beta/models/{model_method}", model_call),
        web.post("/v1/models/{model_method}", model_call),
    ]
