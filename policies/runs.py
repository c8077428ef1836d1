"""Conditions on the run a call belongs to: how many calls and prompt tokens it has used, and
whether it looks like a runaway loop (pure).

The counts live on shared counters the proxy's gate keeps per run (every replica sees the same
run); the gate passes them in as ``RunFacts``. What identifies "the same prompt" and "the same
tool call" is computed here, from the request body, so the proxy and the tests agree on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from policies.schema import Conditions

DEFAULT_PAUSE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class RunFacts:
    """The run's counters as they stand with this call counted."""

    calls: int
    tokens: int  # prompt tokens of the run's calls, this one's included
    growth: int = 0  # calls in a row, ending with this one, whose prompt grew
    context_tokens: int = 0  # this call's prompt tokens
    prompt_repeats: Mapping[int, int] = field(default_factory=dict)  # window s -> times seen
    tool_repeats: Mapping[int, int] = field(default_factory=dict)  # window s -> times seen
    paused: str | None = None  # why the run is paused, when it is


@dataclass(frozen=True, slots=True)
class Fingerprints:
    prompt: str  # hash of the model and every string a model would read
    tool_call: str  # hash of the latest tool call(s) in the conversation; "" when none


def fingerprints(model: str | None, text: str, body: Any) -> Fingerprints:
    prompt = _digest(f"{model}\n{text}".encode())
    calls = _latest_tool_calls(body)
    return Fingerprints(prompt, _digest(orjson.dumps(calls)) if calls else "")


def run_reasons(when: Conditions, run: RunFacts | None) -> list[str] | None:
    """Reasons the run conditions of ``when`` hold, or None when one does not (or the run's
    counters are unknown: the gate could not reach them)."""
    if not when.reads_run:
        return []
    if run is None:
        return None
    reasons: list[str] = []
    if when.run_calls_over is not None:
        if run.calls <= when.run_calls_over:
            return None
        reasons.append(f"call {run.calls} of its run > {when.run_calls_over}")
    if when.run_tokens_over is not None:
        if run.tokens <= when.run_tokens_over:
            return None
        reasons.append(f"run's prompt tokens {run.tokens} > {when.run_tokens_over}")
    loop = when.loop
    if loop is not None:
        why = _loop_reason(loop.repeats, loop.window_seconds, run)
        if why is None and loop.context_tokens_over is not None:
            grew = run.growth >= loop.growth_steps
            if grew and run.context_tokens > loop.context_tokens_over:
                why = (
                    f"runaway loop: the prompt grew on {run.growth} calls in a row to "
                    f"{run.context_tokens} tokens (> {loop.context_tokens_over})"
                )
        if why is None:
            return None
        reasons.append(why)
    return reasons


def _loop_reason(repeats: int | None, window: int, run: RunFacts) -> str | None:
    if repeats is None:
        return None
    prompt, tool = run.prompt_repeats.get(window, 0), run.tool_repeats.get(window, 0)
    if prompt >= repeats:
        return f"runaway loop: the same prompt {prompt} times in {window}s"
    if tool >= repeats:
        return f"runaway loop: the same tool call {tool} times in {window}s"
    return None


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _latest_tool_calls(body: Any) -> list[Any]:
    """The newest tool call(s) the model made in the conversation, with their arguments: OpenAI
    ``tool_calls``, Anthropic ``tool_use`` blocks, Responses ``function_call`` items."""
    if not isinstance(body, dict):
        return []
    latest: list[Any] = []
    for key in ("messages", "input", "contents"):
        items = body.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            found = list(_calls_in(item)) if isinstance(item, dict) else []
            if found:
                latest = found
    return latest


def _calls_in(item: dict[str, Any]) -> Iterator[Any]:
    if item.get("type") == "function_call":
        yield [item.get("name"), item.get("arguments")]
    for call in item.get("tool_calls") or []:
        if isinstance(call, dict):
            function = call.get("function") or {}
            yield [function.get("name"), function.get("arguments")]
    content = item.get("content") or item.get("parts")
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                yield [block.get("name"), block.get("input")]
            elif isinstance(block, dict) and isinstance(block.get("functionCall"), dict):
                call = block["functionCall"]
                yield [call.get("name"), call.get("args")]
