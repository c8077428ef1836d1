"""OpenAI response bodies → facts: chat completions, Responses, embeddings (JSON, no I/O)."""

from __future__ import annotations

from typing import Any

from pricing import Usage
from proxy.providers import fields as f
from proxy.providers.base import ResponseFacts


def chat_usage(usage: Any) -> Usage | None:
    """``prompt_tokens`` already includes cached tokens and ``completion_tokens`` reasoning."""
    return _usage(usage, "prompt", "completion")


def responses_usage(usage: Any) -> Usage | None:
    """The Responses API's usage: the same as chat's, its fields named input and output."""
    return _usage(usage, "input", "output")


def _usage(usage: Any, given: str, made: str) -> Usage | None:
    if not isinstance(usage, dict):
        return None
    read, wrote = f.obj(usage, f"{given}_tokens_details"), f.obj(usage, f"{made}_tokens_details")
    return Usage(
        input=f.num(usage, f"{given}_tokens"),
        output=f.num(usage, f"{made}_tokens"),
        cached_read=f.num(read, "cached_tokens"),
        cache_write_5m=f.num(read, "cache_write_tokens"),
        reasoning=f.num(wrote, "reasoning_tokens"),
        audio_input=f.num(read, "audio_tokens"),
        audio_output=f.num(wrote, "audio_tokens"),
    )


def error_facts(body: Any, facts: ResponseFacts) -> None:
    """OpenAI's ``{"error": {...}}``; also used for in-stream error events."""
    err = f.obj(body, "error")
    facts.error_type = f.text(err, "type") or f.text(err, "code") or facts.error_type
    facts.error_message = f.text(err, "message") or facts.error_message


def parse_chat(body: Any, facts: ResponseFacts) -> None:
    facts.model_served = f.text(body, "model")
    facts.usage = chat_usage(body.get("usage"))
    facts.service_tier = f.text(body, "service_tier")
    texts: list[str] = []
    for choice in f.items(body, "choices"):
        message = f.obj(choice, "message")
        facts.finish_reason = facts.finish_reason or f.text(choice, "finish_reason")
        content = f.text(message, "content")
        if content:
            texts.append(content)
        for call in f.items(message, "tool_calls"):
            name = f.text(f.obj(call, "function"), "name")
            if name:
                facts.tool_names.append(name)
                texts.append(f.text(f.obj(call, "function"), "arguments") or "")
    _set_text(facts, texts)


def parse_responses(body: Any, facts: ResponseFacts) -> None:
    facts.model_served = f.text(body, "model")
    facts.usage = responses_usage(body.get("usage"))
    facts.service_tier = f.text(body, "service_tier")
    facts.finish_reason = f.text(f.obj(body, "incomplete_details"), "reason") or f.text(
        body, "status"
    )
    if f.has(body, "error"):
        facts.error_type = f.text(f.obj(body, "error"), "code")
        facts.error_message = f.text(f.obj(body, "error"), "message")
    texts: list[str] = []
    for item in f.items(body, "output"):
        kind = f.text(item, "type")
        if kind == "message":
            texts.extend(f.text(part, "text") or "" for part in f.items(item, "content"))
        elif kind == "function_call":
            facts.tool_names.append(f.text(item, "name") or "")
            texts.append(f.text(item, "arguments") or "")
        elif kind and kind.endswith("_call"):  # built-in tools: web_search_call, ...
            facts.tool_names.append(kind.removesuffix("_call"))
    _set_text(facts, texts)


def parse_embeddings(body: Any, facts: ResponseFacts) -> None:
    facts.model_served = f.text(body, "model")
    usage = body.get("usage")
    if isinstance(usage, dict):
        facts.usage = Usage(input=f.num(usage, "prompt_tokens"))


def _set_text(facts: ResponseFacts, texts: list[str]) -> None:
    joined = "".join(texts)
    facts.output_text_chars = len(joined)
    facts.completion_text = joined
