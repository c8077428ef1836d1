"""Every adapter turns the provider's documented reply, whole or streamed, into our normalised
facts: input includes cache reads and writes, output includes reasoning."""

from __future__ import annotations

import pytest

from pricing import Usage
from tests.fakeprovider import expected as ex
from tests.fakeprovider.expected import expected_usage
from tests.proxy.providers.meter import meter, parse, request_facts
from tests.proxy.providers.samples import Sample

WHOLE = [
    "chat",
    "chat_n2",
    "chat_tools",
    "responses",
    "embeddings",
    "anthropic",
    "gemini",
    "bedrock",
]
STREAMED = [
    "chat_stream_usage",
    "chat_stream_tools",
    "responses_stream",
    "azure_chat",
    "anthropic_stream",
    "gemini_sse",
    "gemini_array",
    "bedrock_stream",
]


def _usage(sample: Sample) -> Usage:
    n = int(sample.case.request.get("n", 1))
    e = expected_usage(sample.case.family, n=n)
    return Usage(
        input=e.input,
        output=e.output,
        cached_read=e.cached_read,
        cache_write_5m=e.cache_write_5m,
        cache_write_1h=e.cache_write_1h,
        reasoning=e.reasoning,
    )


@pytest.mark.parametrize("name", WHOLE)
def test_whole_reply_usage_is_normalised(samples: dict[str, Sample], name: str) -> None:
    facts = parse(samples[name])
    assert facts.parse_error is None
    assert facts.usage == _usage(samples[name])


@pytest.mark.parametrize("name", STREAMED)
def test_streamed_reply_usage_is_normalised(samples: dict[str, Sample], name: str) -> None:
    facts, _, _ = meter(samples[name])
    assert facts.parse_error is None
    assert facts.usage == _usage(samples[name])


@pytest.mark.parametrize(
    ("name", "model", "finish", "tools"),
    [
        ("chat", "gpt-4o-2025-01-01", "stop", []),
        ("chat_tools", "gpt-4o-2025-01-01", "tool_calls", ["get_weather"]),
        ("responses", "gpt-5-2025-01-01", "completed", []),
        ("anthropic", "claude-sonnet-4-6", "tool_use", ["get_weather"]),
        ("gemini", "gemini-2.5-flash", "STOP", []),
        ("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "tool_use", ["get_weather"]),
    ],
)
def test_whole_reply_facts(
    samples: dict[str, Sample], name: str, model: str, finish: str, tools: list[str]
) -> None:
    facts = parse(samples[name])
    assert (facts.model_served, facts.finish_reason, facts.tool_names) == (model, finish, tools)


@pytest.mark.parametrize(
    ("name", "model", "finish", "tools"),
    [
        ("chat_stream_usage", "gpt-4o-2025-01-01", "stop", []),
        ("chat_stream_tools", "gpt-4o-2025-01-01", "tool_calls", ["get_weather"]),
        ("responses_stream", "gpt-5-2025-01-01", "completed", []),
        ("azure_chat", "my-gpt4o-2025-01-01", "stop", []),
        ("anthropic_stream", "claude-sonnet-4-6", "tool_use", ["get_weather"]),
        ("gemini_sse", "gemini-2.5-flash", "STOP", []),
        ("gemini_array", "gemini-2.5-flash", "STOP", []),
        (
            "bedrock_stream",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "tool_use",
            ["get_weather"],
        ),
    ],
)
def test_streamed_reply_facts(
    samples: dict[str, Sample], name: str, model: str, finish: str, tools: list[str]
) -> None:
    facts, text, seen = meter(samples[name])
    assert (facts.model_served, facts.finish_reason, facts.tool_names) == (model, finish, tools)
    assert ex.REPLY_TEXT in text or ex.TOOL_ARGUMENTS in text
    assert facts.completion_text == text
    assert seen == [True]


def test_stream_without_usage_leaves_usage_none_and_keeps_the_text(
    samples: dict[str, Sample],
) -> None:
    facts, text, _ = meter(samples["chat_stream_no_usage"])
    assert facts.usage is None
    assert text == ex.REPLY_TEXT
    assert facts.output_text_chars == len(ex.REPLY_TEXT)


def test_first_token_is_seen_only_after_the_first_content_delta(samples: dict[str, Sample]) -> None:
    sample = samples["chat_stream_usage"]
    first_content = sample.body.index(b'"content": "Hello')
    _, _, seen = meter(sample, cuts=[first_content, first_content + 200])
    assert seen == [False, True, True]


@pytest.mark.parametrize(
    ("name", "model", "stream", "include_usage", "n", "tools"),
    [
        ("chat_n2", "gpt-4o", False, False, 2, []),
        ("chat_stream_usage", "gpt-4o", True, True, 2, []),
        ("chat_tools", "gpt-4o", False, False, 1, ["get_weather"]),
        ("azure_chat", "my-gpt4o", True, True, 1, []),
        ("anthropic_stream", "claude-sonnet-4-6", True, False, 1, ["get_weather"]),
        ("gemini_sse", "gemini-2.5-flash", True, False, 1, []),
        ("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", False, False, 1, ["get_weather"]),
        (
            "bedrock_stream",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            True,
            False,
            1,
            ["get_weather"],
        ),
    ],
)
def test_request_facts(
    samples: dict[str, Sample],
    name: str,
    model: str,
    stream: bool,
    include_usage: bool,
    n: int,
    tools: list[str],
) -> None:
    facts = request_facts(samples[name])
    assert facts.parse_error is None
    assert (facts.model, facts.stream, facts.include_usage, facts.n, facts.tool_names) == (
        model,
        stream,
        include_usage,
        n,
        tools,
    )
    assert facts.estimated_input_tokens is not None
    assert facts.estimated_input_tokens > 0


def test_openai_chat_estimate_is_exact_without_tools(samples: dict[str, Sample]) -> None:
    facts = request_facts(samples["chat"])
    # 3 per message + "user" + "hi" + 3 priming, per OpenAI's documented accounting
    assert (facts.estimated_input_tokens, facts.estimate_exact) == (8, True)
    assert request_facts(samples["anthropic"]).estimate_exact is False
