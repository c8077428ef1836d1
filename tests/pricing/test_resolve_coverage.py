"""Price coverage: every model name each adapter's provider documents is priced when called
directly on that provider, including Claude snapshots the community table lists only under a
reseller's key (Bedrock, Vertex), Anthropic's documented aliases, and the Gemini 1.5 and 2.0
models the community table dropped (pricing/_retired.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing import Usage, load_bundled_table, price_call
from pricing._resellers import direct_name
from pricing._retired import GEMINI_RETIRED, retired_entries

# Model names from each provider's model documentation (current, not retired), as an agent
# sends them to the provider's own API.
DOCUMENTED = {
    "openai": [
        "gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1",
        "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o3", "o3-mini", "o4-mini", "gpt-4-turbo",
        "gpt-3.5-turbo", "gpt-5", "gpt-5-mini", "text-embedding-3-small", "text-embedding-3-large",
    ],
    "anthropic": [
        "claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219",
        "claude-sonnet-4-20250514", "claude-opus-4-20250514", "claude-opus-4-1-20250805",
        "claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101",
        "claude-3-haiku-20240307", "claude-3-opus-20240229", "claude-3-5-haiku-latest",
        "claude-3-7-sonnet-latest", "claude-sonnet-4-0", "claude-opus-4-0", "claude-opus-4-1",
    ],
    "bedrock": [
        "anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "anthropic.claude-sonnet-4-20250514-v1:0", "amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0",
        "meta.llama3-1-70b-instruct-v1:0", "mistral.mistral-large-2402-v1:0",
    ],
    "gemini": [
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash", "gemini-2.0-flash-001",
        "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001", "gemini-1.5-pro",
        "gemini-1.5-pro-002", "gemini-1.5-flash", "gemini-1.5-flash-002", "gemini-1.5-flash-8b",
        "models/gemini-1.5-flash-8b-001",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("provider", "model"), [(p, m) for p, models in DOCUMENTED.items() for m in models]
)
def test_every_documented_model_is_priced_on_its_own_provider(provider: str, model: str) -> None:
    cost = price_call(model, Usage(input=1000, output=100), provider=provider)
    assert cost.total_usd is not None, f"{provider}/{model}: {cost.unpriced_reason}"
    assert cost.total_usd > 0


def test_claude_3_5_haiku_direct_costs_what_bedrock_lists() -> None:
    usage = Usage(input=1_000_000, output=1_000_000)
    direct = price_call("claude-3-5-haiku-20241022", usage, provider="anthropic")
    bedrock = price_call("anthropic.claude-3-5-haiku-20241022-v1:0", usage, provider="bedrock")
    assert direct.total_usd == bedrock.total_usd == Decimal("4.8")
    assert direct.priced_model == "claude-3-5-haiku-20241022"


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku-20241022"),
        ("anthropic.claude-opus-4-20250514-v1:0", "claude-opus-4-20250514"),
        ("vertex_ai/claude-3-5-sonnet@20240620", "claude-3-5-sonnet-20240620"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", None),  # cross-region: may cost more
        ("claude-3-5-haiku-20241022", None),
    ],
)
def test_reseller_keys_map_to_the_direct_name(key: str, name: str | None) -> None:
    assert direct_name(key) == name


def test_direct_entries_never_replace_the_providers_own() -> None:
    table = load_bundled_table()
    own = table.resolve("claude-haiku-4-5-20251001", "anthropic")
    assert own is not None
    assert own.provider == "anthropic"


@pytest.mark.parametrize(
    ("model", "usage", "usd"),
    [
        ("gemini-2.0-flash", Usage(input=1_000_000, output=1_000_000), "0.5"),
        ("gemini-1.5-pro-002", Usage(input=100_000, output=10_000), "0.175"),
        # a prompt over 128k tokens is billed at the higher rate set, as Google priced 1.5
        ("gemini-1.5-pro", Usage(input=200_000, output=10_000), "0.6"),
        ("gemini-1.5-flash-8b", Usage(input=100_000, output=100_000), "0.01875"),
    ],
)
def test_retired_gemini_models_cost_what_google_published(
    model: str, usage: Usage, usd: str
) -> None:
    cost = price_call(model, usage, provider="gemini")
    assert cost.total_usd == Decimal(usd)


def test_retired_entries_never_replace_the_community_tables_own() -> None:
    community = {key: {"provider": "gemini", "rates": {}} for key in GEMINI_RETIRED}
    assert retired_entries(community, "2026-12-05") == {}
    gemini_priced = {"gemini/gemini-2.5-flash": {"provider": "gemini"}}
    assert set(retired_entries(gemini_priced, "2026-12-05")) == set(GEMINI_RETIRED)
    assert retired_entries({"acme-large": {"provider": "acme"}}, "2026-12-05") == {}
