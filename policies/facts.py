"""What a policy can know about a call, read lazily: the prompt's text and the tool names are
only extracted from the request body when a policy in force asks about them."""

from __future__ import annotations

from collections.abc import Callable
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


def _strings(value: Any) -> list[str]:
    """Every string a model would read, in document order (not ids, roles, model names)."""
    if isinstance(value, str):
        return [value]
    out: list[str] = []
    _walk(value, None, out)
    return out


def _walk(value: Any, key: str | None, out: list[str]) -> None:
    # Strings are taken where they are met, without a call per leaf: this walk is most of
    # what reading a prompt costs (a call's body is walked once, when a content rule asks).
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str):
                if k not in _NOT_PROMPT:
                    out.append(v)
            elif isinstance(v, (dict, list)):
                _walk(v, k, out)
    elif isinstance(value, list):
        keep = key not in _NOT_PROMPT
        for item in value:
            if isinstance(item, str):
                if keep:
                    out.append(item)
            elif isinstance(item, (dict, list)):
                _walk(item, key, out)


def _tool_names(body: Any) -> list[str]:
    """Tools offered (``tools``; Gemini's ``functionDeclarations``) and tools called in the
    conversation (OpenAI ``tool_calls``, Anthropic ``tool_use`` blocks, Responses
    ``function_call`` items), read where each wire format puts them; no deep walk."""
    out: list[str] = []
    if not isinstance(body, dict):
        return out
    for tool in _dicts(body.get("tools")):
        _names(tool, out)
        declared = tool.get("functionDeclarations") or tool.get("function_declarations")
        for function in _dicts(declared):
            _names(function, out)
    for key in ("messages", "input", "contents"):
        for item in _dicts(body.get(key)):
            if item.get("type") in _TOOL_BLOCKS:
                _names(item, out)
            for call in _dicts(item.get("tool_calls")):
                _names(call, out)
            for block in _dicts(item.get("content") or item.get("parts")):
                if block.get("type") in _TOOL_BLOCKS:
                    _names(block, out)
                _names(block.get("functionCall"), out)
    return out


def _dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _names(value: Any, out: list[str]) -> None:
    """``name``, or ``function.name`` (OpenAI nests it)."""
    if not isinstance(value, dict):
        return
    name = value.get("name")
    if isinstance(name, str):
        out.append(name)
    function = value.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        out.append(function["name"])
