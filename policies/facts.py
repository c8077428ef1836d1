"""What a policy can know about a call, read lazily: the prompt's text and the tool names are
only extracted from the request body when a policy in force asks about them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from policies.detectors import Detector, Scanner
from policies.runs import RunFacts


class Clock(Protocol):
    def contains(self, now: datetime) -> bool: ...


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
    run: RunFacts | None = None  # the run's shared counters, when a policy reads them
    _text: str | None = field(default=None, repr=False)
    _tools: list[str] | None = field(default=None, repr=False)
    _found: dict[str, bool] = field(default_factory=dict, repr=False)
    _hits: frozenset[str] | None = field(default=None, repr=False)
    _windows: dict[int, bool] = field(default_factory=dict, repr=False)
    _tools_lower: list[str] | None = field(default=None, repr=False)

    def text(self) -> str:
        """Every string of the request a model would read (messages, system, tool results),
        one per line."""
        if self._text is None:
            self._text = "\n".join(_strings(self.body()))
        return self._text

    def contains(self, detector: Detector, scanner: Scanner | None = None) -> bool:
        """Whether ``detector`` finds something in the text. With the policy set's scanner, one
        pass over the text answers for every detector; each runs at most once a call."""
        if scanner is not None:
            if detector.key not in self.scanned(scanner):
                return False
            if detector.confirm is None:
                return True
        found = self._found.get(detector.key)
        if found is None:
            found = self._found[detector.key] = detector.found_in(self.text())
        return found

    def scanned(self, scanner: Scanner) -> frozenset[str]:
        """Keys of the detectors whose pattern the text holds (one pass of the set, a call)."""
        if self._hits is None:
            self._hits = scanner.keys_in(self.text())
        return self._hits

    def tools(self) -> list[str]:
        """Names of the tools the request offers and the tool calls it carries."""
        if self._tools is None:
            self._tools = sorted(set(_tool_names(self.body())))
        return self._tools

    def tools_lower(self) -> list[str]:
        if self._tools_lower is None:
            self._tools_lower = [t.lower() for t in self.tools()]
        return self._tools_lower

    def in_window(self, window: Clock) -> bool:
        """Whether the call started inside ``window``; each window is judged once a call (the
        compiler shares one object among policies with the same window)."""
        found = self._windows.get(id(window))
        if found is None:
            found = self._windows[id(window)] = self.now is not None and window.contains(self.now)
        return found

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


def _tool_names(body: Any) -> Iterator[str]:
    """Tools offered (``tools``; Gemini's ``functionDeclarations``) and tools called in the
    conversation (OpenAI ``tool_calls``, Anthropic ``tool_use`` blocks, Responses
    ``function_call`` items), read where each wire format puts them; no deep walk."""
    if not isinstance(body, dict):
        return
    for tool in _dicts(body.get("tools")):
        yield from _names(tool)
        for declared in _dicts(
            tool.get("functionDeclarations") or tool.get("function_declarations")
        ):
            yield from _names(declared)
    for key in ("messages", "input", "contents"):
        for item in _dicts(body.get(key)):
            if item.get("type") in _TOOL_BLOCKS:
                yield from _names(item)
            for call in _dicts(item.get("tool_calls")):
                yield from _names(call)
            for block in _dicts(item.get("content") or item.get("parts")):
                if block.get("type") in _TOOL_BLOCKS:
                    yield from _names(block)
                yield from _names(block.get("functionCall"))


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _names(value: Any) -> Iterator[str]:
    """``name``, or ``function.name`` (OpenAI nests it)."""
    if not isinstance(value, dict):
        return
    name = value.get("name")
    if isinstance(name, str):
        yield name
    function = value.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        yield function["name"]
