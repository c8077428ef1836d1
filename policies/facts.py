"""What a policy can know about a call, read lazily: the prompt's text and the tool names are
only extracted from the request body when a policy in force asks about them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

_TOOL_LISTS = frozenset({"tools", "functionDeclarations", "function_declarations", "tool_calls"})
_TOOL_BLOCKS = frozenset({"tool_use", "function_call", "function", "server_tool_use"})
_NOT_PROMPT = frozenset({"model", "role", "type", "id", "tool_call_id", "tool_use_id"})


@dataclass
class Facts:
    provider: str
    endpoint: str
    model: str | None
    agent: str
    team: str | None = None
    tags: Any = None  # the registry's tags: a {key: value} map or a list of names
    environment: str | None = None
    api_key: str | None = None  # the public id of the key the call came with
    request_bytes: int = 0
    max_tokens: int | None = None
    now: datetime | None = None
    body: Callable[[], Any] = lambda: None  # the parsed JSON request body
    estimated_cost: Callable[[], Decimal | None] = lambda: None
    _texts: list[str] | None = field(default=None, repr=False)
    _tools: list[str] | None = field(default=None, repr=False)

    def texts(self) -> list[str]:
        """Every string of the request a model would read (messages, system, tool results)."""
        if self._texts is None:
            self._texts = list(_strings(self.body()))
        return self._texts

    def tools(self) -> list[str]:
        """Names of the tools the request offers and the tool calls it carries."""
        if self._tools is None:
            self._tools = sorted(set(_tool_names(self.body(), in_tools=False)))
        return self._tools

    def tag_names(self) -> set[str]:
        tags = self.tags
        if isinstance(tags, dict):
            return {f"{k}={v}" for k, v in tags.items()} | {str(k) for k in tags}
        if isinstance(tags, list):
            return {str(t) for t in tags}
        return set()


def _strings(value: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(value, str):
        if key not in _NOT_PROMPT:
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)


def _tool_names(value: Any, *, in_tools: bool) -> Iterator[str]:
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str) and (in_tools or value.get("type") in _TOOL_BLOCKS):
            yield name
        for k, v in value.items():
            yield from _tool_names(v, in_tools=in_tools or k in _TOOL_LISTS)
    elif isinstance(value, list):
        for item in value:
            yield from _tool_names(item, in_tools=in_tools)
