"""Bedrock Converse (JSON) and ConverseStream (AWS event-stream binary frames)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from proxy.providers.eventstream import event_frame
from tests.fakeprovider import expected as ex
from tests.fakeprovider.knobs import Knobs, read_knobs
from tests.fakeprovider.wire import error_names, garbage_response, json_response, stream_response

UNCACHED_INPUT = (
    ex.PROMPT_TOKENS - ex.CACHED_READ_TOKENS - ex.CACHE_WRITE_5M_TOKENS - ex.CACHE_WRITE_1H_TOKENS
)
EVENT_STREAM = "application/vnd.amazon.eventstream"


def bedrock_error(status: int, message: str) -> web.Response:
    kind = error_names(status)[2]
    return json_response(
        {"message": message},
        status,
        headers={
            "x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        },
    )


def usage() -> dict[str, int]:
    """Like Anthropic, inputTokens excludes the cache reads and writes reported beside it."""
    cache_write = ex.CACHE_WRITE_5M_TOKENS + ex.CACHE_WRITE_1H_TOKENS
    return {
        "inputTokens": UNCACHED_INPUT,
        "outputTokens": ex.COMPLETION_TOKENS,
        "totalTokens": ex.PROMPT_TOKENS + ex.COMPLETION_TOKENS,
        "cacheReadInputTokens": ex.CACHED_READ_TOKENS,
        "cacheWriteInputTokens": cache_write,
    }


def _tool(body: dict[str, Any]) -> str | None:
    tools = (body.get("toolConfig") or {}).get("tools") or []
    return str(tools[0]["toolSpec"]["name"]) if tools else None


async def converse(request: web.Request) -> web.StreamResponse:
    knobs = read_knobs(request.headers)
    if knobs.status or knobs.garbage:
        await knobs.wait_first_byte()
        return (
            garbage_response()
            if knobs.garbage
            else bedrock_error(knobs.status or 500, "fake error")
        )
    body = await request.json()
    tool = _tool(body)
    if request.match_info["action"] == "converse-stream":
        return await stream_response(request, knobs, _frames(tool, knobs), EVENT_STREAM)
    if request.match_info["action"] != "converse":
        raise web.HTTPNotFound()
    await knobs.wait_first_byte()
    content: list[dict[str, Any]] = [{"text": ex.REPLY_TEXT}]
    if tool:
        content.append(
            {
                "toolUse": {
                    "toolUseId": "tooluse_fake0",
                    "name": tool,
                    "input": json.loads(ex.TOOL_ARGUMENTS),
                }
            }
        )
    reply: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use" if tool else "end_turn",
        "metrics": {"latencyMs": 42},
    }
    if not knobs.no_usage:
        reply["usage"] = usage()
    return json_response(reply, headers={"x-amzn-RequestId": "fake-request-0001"})


def _frames(tool: str | None, knobs: Knobs) -> Iterator[bytes]:
    def frame(kind: str, **data: Any) -> bytes:
        return event_frame(kind, json.dumps({**data, "p": "abcdefgh"}).encode())

    yield frame("messageStart", role="assistant")
    for piece in ex.split_text(ex.REPLY_TEXT, knobs.chunks):
        yield frame("contentBlockDelta", contentBlockIndex=0, delta={"text": piece})
    yield frame("contentBlockStop", contentBlockIndex=0)
    if tool:
        start = {"toolUse": {"toolUseId": "tooluse_fake0", "name": tool}}
        yield frame("contentBlockStart", contentBlockIndex=1, start=start)
        for piece in ex.split_text(ex.TOOL_ARGUMENTS, knobs.chunks):
            yield frame(
                "contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": piece}}
            )
        yield frame("contentBlockStop", contentBlockIndex=1)
    yield frame("messageStop", stopReason="tool_use" if tool else "end_turn")
    metadata: dict[str, Any] = {"metrics": {"latencyMs": 42}}
    if not knobs.no_usage:
        metadata["usage"] = usage()
    yield frame("metadata", **metadata)


def routes() -> list[web.RouteDef]:
    return [web.post("/model/{model_id}/{action}", converse)]
