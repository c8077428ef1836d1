"""OpenAI wire format: chat completions, Responses, embeddings, models (also Azure's URLs)."""

from __future__ import annotations

import base64
import struct
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

CREATED = 1_735_689_600  # 2025-01-01, so bodies are byte-for-byte reproducible


def openai_error(status: int, message: str) -> web.Response:
    kind = error_names(status)[0]
    body = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
    return json_response(body, status=status)


def chat_usage(n: int) -> dict[str, Any]:
    return {
        "prompt_tokens": ex.PROMPT_TOKENS,
        "completion_tokens": ex.COMPLETION_TOKENS * n,
        "total_tokens": ex.PROMPT_TOKENS + ex.COMPLETION_TOKENS * n,
        "prompt_tokens_details": {"cached_tokens": ex.CACHED_READ_TOKENS, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": ex.REASONING_TOKENS * n,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_name(body: dict[str, Any]) -> str | None:
    tools = body.get("tools") or []
    return str(tools[0]["function"]["name"]) if tools else None


async def chat_completions(request: web.Request, model: str | None = None) -> web.StreamResponse:
    knobs = read_knobs(request.headers)
    if knobs.status or knobs.garbage:
        await knobs.wait_first_byte()
        return (
            garbage_response() if knobs.garbage else openai_error(knobs.status or 500, "fake error")
        )
    body = await request.json()
    served = ex.served_model(model or body.get("model", "gpt-4o"))
    n = int(body.get("n") or 1)
    tool = _tool_name(body)
    if body.get("stream"):
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        frames = _chat_chunks(served, n, tool, knobs, usage and not knobs.no_usage)
        return await stream_response(request, knobs, frames)
    await knobs.wait_first_byte()
    reply: dict[str, Any] = {
        "id": "chatcmpl-fake0001",
        "object": "chat.completion",
        "created": CREATED,
        "model": served,
        "choices": [_choice(i, tool) for i in range(n)],
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }
    if not knobs.no_usage:
        reply["usage"] = chat_usage(n)
    return json_response(reply)


def _choice(index: int, tool: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": ex.REPLY_TEXT,
        "refusal": None,
        "annotations": [],
    }
    if tool:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": f"call_fake{index}",
                "type": "function",
                "function": {"name": tool, "arguments": ex.TOOL_ARGUMENTS},
            }
        ]
    finish = "tool_calls" if tool else "stop"
    return {"index": index, "message": message, "logprobs": None, "finish_reason": finish}


def _chat_chunks(
    served: str, n: int, tool: str | None, knobs: Knobs, usage: bool
) -> Iterator[bytes]:
    def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        data = {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": served,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": choices,
            **extra,
        }
        if usage and "usage" not in extra:
            data["usage"] = None
        return sse_event(data)

    def delta(index: int, d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": d, "logprobs": None, "finish_reason": finish}

    for i in range(n):
        yield chunk(
            [delta(i, {"role": "assistant", "content": "" if not tool else None, "refusal": None})]
        )
    for piece_no, piece in enumerate(
        ex.split_text(ex.TOOL_ARGUMENTS if tool else ex.REPLY_TEXT, knobs.chunks)
    ):
        for i in range(n):
            if tool:
                call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
                if piece_no == 0:
                    call.update(id=f"call_fake{i}", type="function")
                    call["function"]["name"] = tool
                yield chunk([delta(i, {"tool_calls": [call]})])
            else:
                yield chunk([delta(i, {"content": piece})])
    for i in range(n):
        yield chunk([delta(i, {}, "tool_calls" if tool else "stop")])
    if usage:
        yield chunk([], usage=chat_usage(n))
    yield b"data: [DONE]\n\n"


def responses_usage() -> dict[str, Any]:
    return {
        "input_tokens": ex.PROMPT_TOKENS,
        "input_tokens_details": {"cached_tokens": ex.CACHED_READ_TOKENS, "cache_write_tokens": 0},
        "output_tokens": ex.COMPLETION_TOKENS,
        "output_tokens_details": {"reasoning_tokens": ex.REASONING_TOKENS},
        "total_tokens": ex.PROMPT_TOKENS + ex.COMPLETION_TOKENS,
    }


def _response_object(
    served: str, status: str, knobs: Knobs, output: list[dict[str, Any]]
) -> dict[str, Any]:
    done = status == "completed"
    return {
        "id": "resp_fake0001",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": served,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": responses_usage() if done and not knobs.no_usage else None,
        "metadata": {},
    }


def _message_item(text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_fake0001",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


async def responses(request: web.Request) -> web.StreamResponse:
    knobs = read_knobs(request.headers)
    if knobs.status or knobs.garbage:
        await knobs.wait_first_byte()
        return (
            garbage_response() if knobs.garbage else openai_error(knobs.status or 500, "fake error")
        )
    body = await request.json()
    served = ex.served_model(body.get("model", "gpt-4o"))
    if body.get("stream"):
        return await stream_response(request, knobs, _response_events(served, knobs))
    await knobs.wait_first_byte()
    return json_response(
        _response_object(served, "completed", knobs, [_message_item(ex.REPLY_TEXT)])
    )


def _response_events(served: str, knobs: Knobs) -> Iterator[bytes]:
    seq = iter(range(1_000_000))

    def event(kind: str, **data: Any) -> bytes:
        return sse_event({"type": kind, "sequence_number": next(seq), **data}, kind)

    yield event("response.created", response=_response_object(served, "in_progress", knobs, []))
    yield event("response.in_progress", response=_response_object(served, "in_progress", knobs, []))
    item = {**_message_item("", "in_progress"), "content": []}
    yield event("response.output_item.added", output_index=0, item=item)
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    ids = {"item_id": "msg_fake0001", "output_index": 0, "content_index": 0}
    yield event("response.content_part.added", **ids, part=part)
    for piece in ex.split_text(ex.REPLY_TEXT, knobs.chunks):
        yield event("response.output_text.delta", **ids, delta=piece, logprobs=[])
    yield event("response.output_text.done", **ids, text=ex.REPLY_TEXT, logprobs=[])
    yield event("response.content_part.done", **ids, part={**part, "text": ex.REPLY_TEXT})
    yield event("response.output_item.done", output_index=0, item=_message_item(ex.REPLY_TEXT))
    final = _response_object(served, "completed", knobs, [_message_item(ex.REPLY_TEXT)])
    yield event("response.completed", response=final)


async def embeddings(request: web.Request, model: str | None = None) -> web.Response:
    knobs = read_knobs(request.headers)
    await knobs.wait_first_byte()
    if knobs.status or knobs.garbage:
        return (
            garbage_response() if knobs.garbage else openai_error(knobs.status or 500, "fake error")
        )
    body = await request.json()
    inputs = body.get("input")
    count = (
        len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
    )
    vector = [round(0.125 * (i + 1), 3) for i in range(ex.EMBEDDING_DIMENSIONS)]
    encoded: Any = vector
    if body.get("encoding_format") == "base64":
        encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    reply: dict[str, Any] = {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": encoded} for i in range(count)],
        "model": model or body.get("model", "text-embedding-3-small"),
    }
    if not knobs.no_usage:
        reply["usage"] = {"prompt_tokens": ex.PROMPT_TOKENS, "total_tokens": ex.PROMPT_TOKENS}
    return json_response(reply)


async def models(request: web.Request) -> web.Response:
    names = ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"]
    data = [{"id": m, "object": "model", "created": CREATED, "owned_by": "system"} for m in names]
    return json_response({"object": "list", "data": data})


async def azure_chat(request: web.Request) -> web.StreamResponse:
    return await chat_completions(request, model=request.match_info["deployment"])


async def azure_embeddings(request: web.Request) -> web.Response:
    return await embeddings(request, model=request.match_info["deployment"])


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1/chat/completions", chat_completions),
        web.post("/v1/responses", responses),
        web.post("/v1/embeddings", embeddings),
        web.get("/v1/models", models),
        web.post("/openai/deployments/{deployment}/chat/completions", azure_chat),
        web.post("/openai/deployments/{deployment}/embeddings", azure_embeddings),
        web.post("/openai/v1/chat/completions", chat_completions),
        web.post("/openai/v1/responses", responses),
        web.post("/openai/v1/embeddings", embeddings),
    ]
