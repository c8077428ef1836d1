"""Anthropic Messages wire format: JSON and the named-event SSE stream."""

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

UNCACHED_INPUT = (
    ex.PROMPT_TOKENS - ex.CACHED_READ_TOKENS - ex.CACHE_WRITE_5M_TOKENS - ex.CACHE_WRITE_1H_TOKENS
)


def anthropic_error(status: int, message: str) -> web.Response:
    body = {
        "type": "error",
        "error": {"type": error_names(status)[0], "message": message},
        "request_id": "req_fake",
    }
    return json_response(body, status=status, headers={"request-id": "req_fake"})


def usage(output_tokens: int) -> dict[str, Any]:
    """Anthropic's input_tokens excludes the cache reads and writes reported beside it."""
    return {
        "input_tokens": UNCACHED_INPUT,
        "cache_creation_input_tokens": ex.CACHE_WRITE_5M_TOKENS + ex.CACHE_WRITE_1H_TOKENS,
        "cache_read_input_tokens": ex.CACHED_READ_TOKENS,
        "cache_creation": {
            "ephemeral_5m_input_tokens": ex.CACHE_WRITE_5M_TOKENS,
            "ephemeral_1h_input_tokens": ex.CACHE_WRITE_1H_TOKENS,
        },
        "output_tokens": output_tokens,
        "output_tokens_details": {"thinking_tokens": ex.REASONING_TOKENS},
        "server_tool_use": None,
        "service_tier": "standard",
    }


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if (body.get("thinking") or {}).get("type") == "enabled":
        blocks.append({"type": "thinking", "thinking": ex.THINKING_TEXT, "signature": "sig_fake"})
    blocks.append({"type": "text", "text": ex.REPLY_TEXT, "citations": None})
    tools = body.get("tools") or []
    if tools:
        blocks.append(
            {
                "type": "tool_use",
                "id": "toolu_fake0",
                "name": tools[0]["name"],
                "input": json.loads(ex.TOOL_ARGUMENTS),
            }
        )
    return blocks


def _message(
    model: str, blocks: list[dict[str, Any]], stop: str | None, out: int, knobs: Knobs
) -> dict[str, Any]:
    message = {
        "id": "msg_fake0001",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage(out),
    }
    if knobs.no_usage:
        del message["usage"]
    return message


async def messages(request: web.Request) -> web.StreamResponse:
    knobs = read_knobs(request.headers)
    if knobs.status or knobs.garbage:
        await knobs.wait_first_byte()
        return (
            garbage_response()
            if knobs.garbage
            else anthropic_error(knobs.status or 500, "fake error")
        )
    body = await request.json()
    model = body.get("model", "claude-sonnet-4-6")
    blocks = _blocks(body)
    stop = "tool_use" if body.get("tools") else "end_turn"
    if body.get("stream"):
        return await stream_response(request, knobs, _events(model, blocks, stop, knobs))
    await knobs.wait_first_byte()
    return json_response(_message(model, blocks, stop, ex.COMPLETION_TOKENS, knobs))


def _events(model: str, blocks: list[dict[str, Any]], stop: str, knobs: Knobs) -> Iterator[bytes]:
    def event(kind: str, **data: Any) -> bytes:
        return sse_event({"type": kind, **data}, kind)

    yield event("message_start", message=_message(model, [], None, 1, knobs))
    yield event("ping")
    for index, block in enumerate(blocks):
        yield from _block_events(index, block, knobs, event)
    final_usage = {"output_tokens": ex.COMPLETION_TOKENS}
    delta: dict[str, Any] = {"delta": {"stop_reason": stop, "stop_sequence": None}}
    if not knobs.no_usage:
        delta["usage"] = final_usage
    yield event("message_delta", **delta)
    yield event("message_stop")


def _block_events(index: int, block: dict[str, Any], knobs: Knobs, event: Any) -> Iterator[bytes]:
    kind = block["type"]
    if kind == "text":
        yield event("content_block_start", index=index, content_block={"type": "text", "text": ""})
        for piece in ex.split_text(block["text"], knobs.chunks):
            yield event(
                "content_block_delta", index=index, delta={"type": "text_delta", "text": piece}
            )
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        yield event("content_block_start", index=index, content_block=start)
        for piece in ex.split_text(block["thinking"], knobs.chunks):
            yield event(
                "content_block_delta",
                index=index,
                delta={"type": "thinking_delta", "thinking": piece},
            )
        yield event(
            "content_block_delta",
            index=index,
            delta={"type": "signature_delta", "signature": "sig_fake"},
        )
    else:
        tool = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        yield event("content_block_start", index=index, content_block=tool)
        for piece in ex.split_text(ex.TOOL_ARGUMENTS, knobs.chunks):
            yield event(
                "content_block_delta",
                index=index,
                delta={"type": "input_json_delta", "partial_json": piece},
            )
    yield event("content_block_stop", index=index)


async def count_tokens(request: web.Request) -> web.Response:
    return json_response({"input_tokens": ex.PROMPT_TOKENS})


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1/messages", messages),
        web.post("/v1/messages/count_tokens", count_tokens),
    ]
