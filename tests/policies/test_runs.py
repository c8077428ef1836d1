"""Run conditions (calls and tokens per run, runaway loops) and the fingerprints that tell the
same prompt and the same tool call apart (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policies import (
    Conditions,
    Facts,
    Policy,
    RunFacts,
    compile_policies,
    evaluate,
    fingerprints,
    run_windows,
)

LOOP = {"repeats": 3, "window_seconds": 60}


def facts(run: RunFacts | None) -> Facts:
    return Facts(provider="openai", endpoint="chat.completions", model="gpt-4o", agent="bot",
                 run=run)  # fmt: skip


@pytest.mark.parametrize(
    ("when", "run", "matches"),
    [
        ({"run_calls_over": 2}, RunFacts(calls=2, tokens=0), False),
        ({"run_calls_over": 2}, RunFacts(calls=3, tokens=0), True),
        ({"run_tokens_over": 1000}, RunFacts(calls=1, tokens=1001), True),
        ({"run_tokens_over": 1000}, RunFacts(calls=1, tokens=1000), False),
        ({"loop": LOOP}, RunFacts(1, 0, prompt_repeats={60: 3}), True),
        ({"loop": LOOP}, RunFacts(1, 0, prompt_repeats={60: 2}, tool_repeats={60: 3}), True),
        ({"loop": LOOP}, RunFacts(1, 0, prompt_repeats={60: 2}, tool_repeats={60: 2}), False),
        ({"loop": {"context_tokens_over": 500, "growth_steps": 2}},
         RunFacts(1, 0, growth=2, context_tokens=501), True),
        ({"loop": {"context_tokens_over": 500, "growth_steps": 2}},
         RunFacts(1, 0, growth=1, context_tokens=900), False),
        ({"loop": {"context_tokens_over": 500, "growth_steps": 2}},
         RunFacts(1, 0, growth=5, context_tokens=400), False),
        ({"run_calls_over": 0}, None, False),  # counters unknown: the condition does not hold
    ],
)  # fmt: skip
def test_run_conditions(when: dict[str, Any], run: RunFacts | None, matches: bool) -> None:
    policies = compile_policies([{"id": "p", "name": "p", "action": "alert", "when": when}])
    assert bool(evaluate(policies, facts(run))) is matches


def test_reasons_say_what_the_run_did() -> None:
    policies = compile_policies(
        [{"id": "p", "name": "loops", "action": "pause_run", "when": {"loop": LOOP}}]
    )
    [hit] = evaluate(policies, facts(RunFacts(4, 0, tool_repeats={60: 3})))
    assert "the same tool call 3 times in 60s" in hit.reason
    assert hit.pause_seconds == 3600


def test_windows_are_asked_only_for_policies_that_may_match() -> None:
    policies = compile_policies([
        {"id": "a", "name": "a", "action": "pause_run", "when": {"loop": LOOP}},
        {"id": "b", "name": "b", "action": "alert", "when": {"loop": {**LOOP, "window_seconds": 10}}},
        {"id": "c", "name": "c", "action": "deny", "when": {"run_calls_over": 5, "models": ["x"]}},
    ])  # fmt: skip
    assert policies.reads_runs
    assert run_windows(policies, facts(None)) == (10, 60)
    only_calls = compile_policies(
        [{"id": "c", "name": "c", "action": "deny", "when": {"run_calls_over": 5}}]
    )
    assert run_windows(only_calls, facts(None)) == ()
    assert run_windows(compile_policies([{"id": "d", "name": "d", "action": "deny"}]),
                       facts(None)) is None  # fmt: skip


@pytest.mark.parametrize(
    "document",
    [
        {"name": "x", "action": "pause_run", "when": {"loop": {"window_seconds": 5}}},
        {"name": "x", "action": "deny", "pause_seconds": 5},
        {"name": "x", "action": "deny", "when": {"loop": {"repeats": 1}}},
    ],
)
def test_invalid_run_documents(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate(document)


def test_reads_run() -> None:
    assert Conditions(run_tokens_over=1).reads_run
    assert not Conditions(models=["x"]).reads_run


def _chat(call_args: str, question: str = "go") -> dict[str, Any]:
    return {"messages": [
        {"role": "user", "content": question},
        {"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "search", "arguments": call_args}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "nothing"},
    ]}  # fmt: skip


def test_fingerprints_name_the_latest_tool_call_with_its_arguments() -> None:
    a = fingerprints("gpt-4o", "text a", _chat('{"q": "x"}', "first"))
    b = fingerprints("gpt-4o", "text b", _chat('{"q": "x"}', "second"))
    c = fingerprints("gpt-4o", "text a", _chat('{"q": "y"}'))
    assert a.tool_call == b.tool_call != ""  # same call, other conversation
    assert a.tool_call != c.tool_call  # other arguments
    assert a.prompt == c.prompt != b.prompt  # the prompt hash is the text's (and model's)
    assert fingerprints("gpt-4o", "t", {"messages": []}).tool_call == ""
    anthropic = {"messages": [{"role": "assistant", "content": [
        {"type": "tool_use", "id": "t", "name": "search", "input": {"q": "x"}}]}]}  # fmt: skip
    assert fingerprints("m", "t", anthropic).tool_call != ""
    assert fingerprints("other", "text a", {}).prompt != a.prompt
