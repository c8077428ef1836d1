"""Name resolution: the names real traffic sends."""

from __future__ import annotations

from datetime import date

import pytest

from pricing import PriceTable

CASES = [
    # model as sent, provider hint, catalogue key
    ("gpt-4o", None, "gpt-4o"),
    ("gpt-4o", "openai", "gpt-4o"),
    ("gpt-4o-2024-08-06", "openai", "gpt-4o-2024-08-06"),  # exact snapshot entry wins
    ("gpt-4o-2099-01-01", "openai", "gpt-4o"),  # unknown snapshot: date stripped
    ("gpt-4o-latest-unknown", "openai", None),
    ("o3-20990101", "openai", "o3"),
    ("openai/gpt-4o", None, "gpt-4o"),
    ("claude-sonnet-4-5-20250929", "anthropic", "claude-sonnet-4-5-20250929"),
    ("claude-sonnet-4-5-20991231", "anthropic", "claude-sonnet-4-5"),
    ("anthropic/claude-sonnet-4-5", None, "claude-sonnet-4-5"),
    ("gemini-2.5-pro", "gemini", "gemini/gemini-2.5-pro"),
    ("models/gemini-2.5-pro", "gemini", "gemini/gemini-2.5-pro"),
    ("gemini/gemini-2.5-pro", None, "gemini/gemini-2.5-pro"),
    ("gemini-2.5-pro", "vertex", "gemini-2.5-pro"),
    ("publishers/google/models/gemini-2.5-pro", "vertex", "gemini-2.5-pro"),
    ("claude-sonnet-4-5@20250929", "vertex", "vertex_ai/claude-sonnet-4-5@20250929"),
    ("vertex_ai/claude-sonnet-4-5@20250929", None, "vertex_ai/claude-sonnet-4-5@20250929"),
    ("gpt-4o", "azure", "azure/gpt-4o"),
    ("azure/gpt-4o", None, "azure/gpt-4o"),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
    ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"),  # no apac entry: region stripped
    ("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", None, "anthropic.claude-3-5-sonnet-20241022-v2:0"),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
     "bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "openai", "ft:gpt-4o-mini-2024-07-18"),
    ("ft:gpt-4o-mini:acme:support:abc123", "openai", "ft:gpt-4o-mini-2024-07-18"),
    ("ft:gpt-4o-2024-08-06:acme::x", None, "ft:gpt-4o-2024-08-06"),
    ("ft:no-such-base:acme::x", "openai", None),  # never the base model's ordinary rate
    ("deepseek-chat", "deepseek", "deepseek/deepseek-chat"),
    ("mistral-large-latest", "mistral", "mistral/mistral-large-latest"),
    ("openai/gpt-oss-120b", "groq", "groq/openai/gpt-oss-120b"),
    ("grok-4.3", "xai", "xai/grok-4.3"),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "together", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    ("accounts/fireworks/models/llama-v3p1-8b-instruct", "fireworks", "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct"),
    ("anthropic/claude-sonnet-4.5", "openrouter", "claude-sonnet-4-5"),
    ("GPT-4o", "openai", "gpt-4o"),
    ("gpt-4o", "openai_compatible", "gpt-4o"),
    ("no-such-model", None, None),
    ("gpt-4o", "groq", None),  # a provider's hint is respected: groq does not sell gpt-4o
    ("", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("model", "provider", "key"), CASES)
def test_resolve(table: PriceTable, model: str, provider: str | None, key: str | None) -> None:
    entry = table.resolve(model, provider)
    assert (entry.key if entry else None) == key


def test_azure_deployment_mapping(table: PriceTable) -> None:
    deployments = {"prod-chat": "gpt-4o", "cheap": "gpt-4o-mini"}
    found = table.resolve("prod-chat", "azure", deployments)
    assert found is not None
    assert found.key == "azure/gpt-4o"
    found = table.resolve("cheap", "azure", deployments)
    assert found is not None
    assert found.key == "azure/gpt-4o-mini"
    assert table.resolve("prod-chat", "azure") is None


def test_aliases_resolve(table: PriceTable) -> None:
    alias = next(iter(table.to_dict()["aliases"].items()))
    entry = table.resolve(alias[0])
    assert entry is not None
    assert entry.key == alias[1]


def test_resolution_is_memoised(table: PriceTable) -> None:
    first = table.resolve("gpt-4o-2099-01-01", "openai")
    assert table.resolve("gpt-4o-2099-01-01", "openai") is first


def test_catalogue_fields(table: PriceTable) -> None:
    entry = table.resolve("gpt-4o", "openai")
    assert entry is not None
    assert (entry.provider, entry.mode) == ("openai", "chat")
    assert (entry.max_input_tokens, entry.max_output_tokens) == (128000, 16384)
    # an entry keeps the date its prices took effect; the table's is that of its latest change
    assert date.fromisoformat(entry.effective_date) <= date.fromisoformat(table.effective_date)
