"""The countable text of a request body, per wire format, for pre-call token estimates.

Pure: JSON in, text pieces and fixed overheads out; ``proxy/tokenizer.py`` does the counting.
OpenAI chat follows OpenAI's documented accounting (3 tokens per message, 1 per ``name``, 3 to
prime the reply); every other format is walked generically and flagged approximate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
TOKENS_PER_TOOL = 8  # framing of one tool definition; not documented by any provider
IMAGE_TOKENS = 765  # a 1024x1024 image at high detail on gpt-4o; size is unknown before decoding

# Keys whose string values are protocol, not prompt text.
_SKIP_KEYS = frozenset(
    {
        "model", "role", "type", "id", "tool_use_id", "tool_call_id", "toolUseId", "call_id",
        "signature", "media_type", "mimeType", "mime_type", "cache_control", "stop",
        "stop_sequences", "stopSequences", "encoding_format", "service_tier", "user",
        "metadata", "reasoning_effort", "tool_choice", "modalities", "safetySettings",
        "anthropic_version", "previous_response_id", "include", "store", "status", "detail",
    }
)  # fmt: skip
# Keys (or typed parts) holding binary media: counted as IMAGE_TOKENS each, never walked.
_MEDIA_KEYS = frozenset(
    {
        "image_url",
        "inlineData",
        "inline_data",
        "image",
        "input_audio",
        "document",
        "file_data",
        "fileData",
    }
)
_MEDIA_TYPES = frozenset({"image", "input_image", "document", "input_file", "input_audio"})


@dataclass(slots=True)
class PromptParts:
    texts: list[str] = field(default_factory=list)
    overhead: int = 0  # tokens added without encoding (framing, media, token-id inputs)
    exact: bool = True  # False when any part is approximated


def prompt_parts(endpoint_name: str, body: Any) -> PromptParts:
    if not isinstance(body, dict):
        return PromptParts(exact=False)
    if endpoint_name == "chat.completions" and isinstance(body.get("messages"), list):
        return _openai_chat(body)
    if endpoint_name == "embeddings":
        return _embeddings(body.get("input"))
    parts = PromptParts(exact=False)
    _walk(
        {k: v for k, v in body.items() if k not in ("generationConfig", "inferenceConfig")}, parts
    )
    if parts.overhead or parts.texts:
        parts.overhead += REPLY_PRIMING
    return parts


def _openai_chat(body: dict[str, Any]) -> PromptParts:
    parts = PromptParts(overhead=REPLY_PRIMING)
    for message in body["messages"]:
        if not isinstance(message, dict):
            continue
        parts.overhead += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if isinstance(value, str):
                parts.texts.append(value)
                if key == "name":
                    parts.overhead += TOKENS_PER_NAME
            elif value is not None:
                parts.exact = False  # multi-part content, tool calls: not in the documented formula
                _walk(value, parts)
    _tools(body.get("tools") or body.get("functions"), parts)
    return parts


def _tools(tools: Any, parts: PromptParts) -> None:
    if not isinstance(tools, list) or not tools:
        return
    parts.exact = False
    for tool in tools:
        parts.overhead += TOKENS_PER_TOOL
        parts.texts.append(json.dumps(tool, separators=(",", ":"), ensure_ascii=False))


def _embeddings(value: Any) -> PromptParts:
    parts = PromptParts()
    items = (
        value if isinstance(value, list) and value and not isinstance(value[0], int) else [value]
    )
    for item in items:
        if isinstance(item, str):
            parts.texts.append(item)
        elif isinstance(item, list):  # already token ids
            parts.overhead += len(item)
    return parts


def _walk(root: Any, parts: PromptParts) -> None:
    """Every string leaf that is prompt text; iterative so deep bodies cannot overflow."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.texts.append(node)
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if node.get("type") in _MEDIA_TYPES:
                parts.overhead += IMAGE_TOKENS
                continue
            if "role" in node:
                parts.overhead += TOKENS_PER_MESSAGE
            for key, value in node.items():
                if key in _MEDIA_KEYS:
                    parts.overhead += IMAGE_TOKENS
                elif key in ("tools", "functionDeclarations", "toolConfig") and isinstance(
                    value, (list, dict)
                ):
                    _tools(value if isinstance(value, list) else [value], parts)
                elif key not in _SKIP_KEYS:
                    stack.append(value)
