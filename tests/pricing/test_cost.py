"""Worked examples: costs computed by hand from per-million prices, checked to the digit."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from pricing import (
    MISSING_RATE,
    NO_USAGE,
    UNPRICED_MODEL,
    PriceTable,
    Usage,
    estimate_worst_case_cost,
    max_output_tokens,
    price_call,
)

# (catalogue key, tier, above, rates per 1M tokens the examples below rely on)
PUBLISHED = [
    ("gpt-4o", "standard", 0, {"input": "2.5", "output": "10", "cached_read": "1.25"}),
    ("gpt-4o", "batch", 0, {"input": "1.25", "output": "5"}),
    ("gpt-4o", "priority", 0, {"input": "4.25", "output": "17"}),
    ("o1", "standard", 0, {"input": "15", "output": "60"}),
    ("o3", "flex", 0, {"input": "1", "output": "4", "cached_read": "0.25"}),
    ("claude-sonnet-4-5", "standard", 0, {"input": "3", "output": "15", "cached_read": "0.3"}),
    ("claude-sonnet-4-5", "standard", 0, {"cache_write_5m": "3.75", "cache_write_1h": "6"}),
    ("claude-sonnet-4-5", "batch", 0, {"input": "1.5", "output": "7.5"}),
    ("gemini/gemini-2.5-pro", "standard", 0, {"input": "1.25", "output": "10"}),
    ("gemini/gemini-2.5-pro", "standard", 200000, {"input": "2.5", "output": "15"}),
    ("gemini/gemini-2.5-pro", "standard", 200000, {"cached_read": "0.25"}),
    ("gemini/gemini-2.5-pro", "batch", 200000, {"input": "1.25", "output": "7.5"}),
    ("gemini/gemini-2.5-flash", "standard", 0, {"input": "0.3", "output": "2.5"}),
    ("gemini/gemini-2.5-flash", "standard", 0, {"reasoning": "2.5", "audio_input": "1"}),
    ("deepseek/deepseek-chat", "standard", 0, {"input": "0.28", "output": "0.42"}),
    ("deepseek/deepseek-chat", "standard", 0, {"cached_read": "0.028"}),
    ("mistral/mistral-large-latest", "standard", 0, {"input": "0.5", "output": "1.5"}),
    ("groq/openai/gpt-oss-120b", "standard", 0, {"input": "0.15", "output": "0.6"}),
    ("xai/grok-4.3", "standard", 200000, {"input": "2.5", "output": "5"}),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "standard", 0, {"input": "3", "output": "15"}),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "standard", 0, {"cached_read": "0.3"}),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "standard", 0, {"cache_write_5m": "3.75"}),
    ("azure/gpt-4o", "standard", 0, {"input": "2.5", "output": "10"}),
    ("ft:gpt-4o-mini-2024-07-18", "standard", 0, {"input": "0.3", "output": "1.2"}),
    ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "standard", 0, {"input": "1.04"}),
    (
        "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
        "standard",
        0,
        {"input": "0.1"},
    ),
    ("vertex_ai/claude-sonnet-4-5@20250929", "standard", 200000, {"input": "6", "output": "22.5"}),
    ("vertex_ai/claude-sonnet-4-5@20250929", "standard", 200000, {"cache_write_1h": "12"}),
    ("perplexity/pplx-7b-online", "standard", 0, {"input": "0", "output": "0.28"}),
    ("perplexity/pplx-7b-online", "standard", 0, {"request": "0.005"}),
    ("dashscope/qwen-flash", "standard", 256000, {"input": "0.25", "output": "2"}),
]


@pytest.mark.parametrize(("key", "tier", "above", "rates"), PUBLISHED)
def test_bundled_table_carries_the_prices_the_examples_use(
    table: PriceTable, key: str, tier: str, above: int, rates: dict[str, str]
) -> None:
    entry = table.get(key)
    assert entry is not None
    (rate_set,) = [r for r in entry.rates[tier] if r.above == above]
    assert {c: str(rate_set.get(c)) for c in rates} == rates


U = Usage
# id, model, provider, service tier, usage, priced model, breakdown (USD), total (USD)
CASES = [
    # 6000 uncached x 2.5 + 4000 cached x 1.25 + 1000 out x 10, per 1M
    ("openai-cached", "gpt-4o-2024-08-06", "openai", None, U(10_000, 1_000, cached_read=4_000),
     "gpt-4o-2024-08-06", {"input": "0.015", "cached_read": "0.005", "output": "0.01"}, "0.03"),
    # batch: 10000 x 1.25 + 1000 x 5
    ("openai-batch", "gpt-4o", "openai", "batch", U(10_000, 1_000),
     "gpt-4o", {"input": "0.0125", "output": "0.005"}, "0.0175"),
    # priority: 10000 x 4.25 + 1000 x 17
    ("openai-priority", "openai/gpt-4o", None, "priority", U(10_000, 1_000),
     "gpt-4o", {"input": "0.0425", "output": "0.017"}, "0.0595"),
    # o1: 2000 x 15 + (5000-4000) x 60 + 4000 reasoning x 60
    ("o1-reasoning", "o1", "openai", None, U(2_000, 5_000, reasoning=4_000),
     "o1", {"input": "0.03", "output": "0.06", "reasoning": "0.24"}, "0.33"),
    # o3 flex: 50000 x 1 + 50000 cached x 0.25 + 5000 x 4 + 15000 reasoning x 4
    ("o3-flex", "o3", "openai", "flex", U(100_000, 20_000, cached_read=50_000, reasoning=15_000),
     "o3", {"input": "0.05", "cached_read": "0.0125", "output": "0.02", "reasoning": "0.06"},
     "0.1425"),
    # anthropic: 20000 x 3 + 50000 read x 0.3 + 20000 w5m x 3.75 + 10000 w1h x 6 + 2000 x 15
    ("anthropic-cache", "claude-sonnet-4-5-20250929", "anthropic", None,
     U(100_000, 2_000, cached_read=50_000, cache_write_5m=20_000, cache_write_1h=10_000),
     "claude-sonnet-4-5-20250929",
     {"input": "0.06", "cached_read": "0.015", "cache_write_5m": "0.075",
      "cache_write_1h": "0.06", "output": "0.03"}, "0.24"),
    # anthropic batch: 10000 x 1.5 + 1000 x 7.5
    ("anthropic-batch", "anthropic/claude-sonnet-4-5", None, "batch", U(10_000, 1_000),
     "claude-sonnet-4-5", {"input": "0.015", "output": "0.0075"}, "0.0225"),
    # gemini below the threshold: 100000 x 1.25 + 10000 x 10
    ("gemini-base", "models/gemini-2.5-pro", "gemini", None, U(100_000, 10_000),
     "gemini/gemini-2.5-pro", {"input": "0.125", "output": "0.1"}, "0.225"),
    # exactly 200k is not above 200k: 200000 x 1.25
    ("gemini-at-200k", "gemini-2.5-pro", "gemini", None, U(200_000, 0),
     "gemini/gemini-2.5-pro", {"input": "0.25"}, "0.25"),
    # above 200k: 200000 x 2.5 + 100000 cached x 0.25 + 10000 x 15
    ("gemini-above-200k", "gemini-2.5-pro", "gemini", None, U(300_000, 10_000, cached_read=100_000),
     "gemini/gemini-2.5-pro", {"input": "0.5", "cached_read": "0.025", "output": "0.15"}, "0.675"),
    # batch above 200k: 250000 x 1.25 + 1000 x 7.5
    ("gemini-batch-above-200k", "gemini-2.5-pro", "gemini", "batch", U(250_000, 1_000),
     "gemini/gemini-2.5-pro", {"input": "0.3125", "output": "0.0075"}, "0.32"),
    # audio + thinking: 6000 x 0.3 + 4000 audio x 1 + 500 x 2.5 + 500 reasoning x 2.5
    ("gemini-audio", "gemini-2.5-flash", "gemini", None,
     U(10_000, 1_000, reasoning=500, audio_input=4_000), "gemini/gemini-2.5-flash",
     {"input": "0.0018", "audio_input": "0.004", "output": "0.00125", "reasoning": "0.00125"},
     "0.0083"),
    # deepseek: 400000 x 0.28 + 600000 cached x 0.028 + 100000 x 0.42
    ("deepseek", "deepseek-chat", "deepseek", None, U(1_000_000, 100_000, cached_read=600_000),
     "deepseek/deepseek-chat", {"input": "0.112", "cached_read": "0.0168", "output": "0.042"},
     "0.1708"),
    # mistral: 20000 x 0.5 + 5000 x 1.5
    ("mistral", "mistral-large-latest", "mistral", None, U(20_000, 5_000),
     "mistral/mistral-large-latest", {"input": "0.01", "output": "0.0075"}, "0.0175"),
    # groq: 10000 x 0.15 + 2000 x 0.6
    ("groq", "openai/gpt-oss-120b", "groq", None, U(10_000, 2_000),
     "groq/openai/gpt-oss-120b", {"input": "0.0015", "output": "0.0012"}, "0.0027"),
    # xai above 200k: 500000 x 2.5 + 1000 x 5
    ("xai-above-200k", "grok-4.3", "xai", None, U(500_000, 1_000),
     "xai/grok-4.3", {"input": "1.25", "output": "0.005"}, "1.255"),
    # bedrock profile: 5000 x 3 + 2000 read x 0.3 + 3000 write x 3.75 + 500 x 15
    ("bedrock-profile", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock", None,
     U(10_000, 500, cached_read=2_000, cache_write_5m=3_000),
     "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
     {"input": "0.015", "cached_read": "0.0006", "cache_write_5m": "0.01125", "output": "0.0075"},
     "0.03435"),
    # fine-tuned, priced at ft:gpt-4o-mini: 10000 x 0.3 + 1000 x 1.2
    ("fine-tuned", "ft:gpt-4o-mini:acme:support:abc123", "openai", None, U(10_000, 1_000),
     "ft:gpt-4o-mini-2024-07-18", {"input": "0.003", "output": "0.0012"}, "0.0042"),
    # together: 1000 x 1.04 + 1000 x 1.04
    ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "together", None, U(1_000, 1_000),
     "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
     {"input": "0.00104", "output": "0.00104"}, "0.00208"),
    # fireworks: 50000 x 0.1 + 50000 x 0.1
    ("fireworks", "accounts/fireworks/models/llama-v3p1-8b-instruct", "fireworks", None,
     U(50_000, 50_000), "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
     {"input": "0.005", "output": "0.005"}, "0.01"),
    # vertex claude above 200k: 200000 x 6 + 50000 w1h x 12 + 1000 x 22.5
    ("vertex-claude-above-200k", "claude-sonnet-4-5@20250929", "vertex", None,
     U(250_000, 1_000, cache_write_1h=50_000), "vertex_ai/claude-sonnet-4-5@20250929",
     {"input": "1.2", "cache_write_1h": "0.6", "output": "0.0225"}, "1.8225"),
    # per-request fee: 100 x 0 + 1000 x 0.28 + 0.005 per request
    ("request-fee", "perplexity/pplx-7b-online", None, None, U(100, 1_000),
     "perplexity/pplx-7b-online", {"input": "0", "output": "0.00028", "request": "0.005"},
     "0.00528"),
    # community tiered_pricing ranges: 300000 x 0.25 + 1000 x 2
    ("tiered-range", "dashscope/qwen-flash", None, None, U(300_000, 1_000),
     "dashscope/qwen-flash", {"input": "0.075", "output": "0.002"}, "0.077"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "provider", "tier", "usage", "priced", "breakdown", "total"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_worked_example(
    table: PriceTable,
    model: str,
    provider: str | None,
    tier: str | None,
    usage: Usage,
    priced: str,
    breakdown: dict[str, str],
    total: str,
) -> None:
    cost = price_call(model, usage, provider=provider, service_tier=tier, table=table)
    assert cost.priced_model == priced
    assert cost.unpriced_reason is None
    assert cost.total_usd == D(total)
    assert cost.breakdown == {k: D(v) for k, v in breakdown.items()}
    assert sum(cost.breakdown.values()) == cost.total_usd
    assert cost.price_version == table.version


def test_azure_deployment_is_priced_through_the_callers_mapping(table: PriceTable) -> None:
    # prod-4o -> gpt-4o -> azure/gpt-4o: 1000 x 2.5 + 1000 x 10 per 1M
    cost = price_call(
        "prod-4o", U(1_000, 1_000), provider="azure", azure_deployments={"prod-4o": "gpt-4o"}
    )
    assert (cost.priced_model, cost.total_usd) == ("azure/gpt-4o", D("0.0125"))


def test_tier_not_offered_falls_back_to_standard_and_says_so(table: PriceTable) -> None:
    # gpt-4o has no flex price: 10000 x 2.5 + 1000 x 10
    cost = price_call("gpt-4o", U(10_000, 1_000), service_tier="flex", table=table)
    assert (cost.service_tier, cost.total_usd) == ("standard", D("0.035"))


@pytest.mark.parametrize("tier", ["default", "auto", "scale", None, "standard"])
def test_provider_tier_spellings_mean_standard(table: PriceTable, tier: str | None) -> None:
    assert price_call("gpt-4o", U(1, 1), service_tier=tier, table=table).service_tier == "standard"


def test_unknown_model_is_visibly_unpriced(table: PriceTable) -> None:
    for model in ("no-such-model-xyz", None, ""):
        cost = price_call(model, U(10, 10), table=table)
        assert cost.total_usd is None
        assert cost.unpriced_reason == UNPRICED_MODEL
        assert cost.breakdown == {}
        assert cost.price_version == table.version


def test_no_usage_is_not_silently_zero(table: PriceTable) -> None:
    cost = price_call("gpt-4o", U(), table=table)
    assert (cost.total_usd, cost.unpriced_reason, cost.priced_model) == (None, NO_USAGE, "gpt-4o")


def test_missing_rate_is_visibly_unpriced() -> None:
    from pricing import ModelPrice, RateSet

    only_output = ModelPrice("m", "custom", "chat", "", {"standard": (RateSet(output=D(1)),)})
    table = PriceTable({"m": only_output}, version="t")
    assert price_call("m", U(5, 5), table=table).unpriced_reason == MISSING_RATE
    assert price_call("m", U(0, 5), table=table).total_usd == D("0.000005")


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Usage(input=-1)


def test_inconsistent_subsets_floor_at_zero(table: PriceTable) -> None:
    # cached 50 > input 10: uncached floors at 0, cached is charged as reported: 50 x 1.25
    cost = price_call("gpt-4o", U(10, 0, cached_read=50), table=table)
    assert cost.breakdown == {"cached_read": D("0.0000625")}


def test_worst_case_estimate(table: PriceTable) -> None:
    assert max_output_tokens("gpt-4o", table=table) == 16384
    # 1000 x 2.5 + 16384 x 10 per 1M = 0.0025 + 0.16384
    assert estimate_worst_case_cost("gpt-4o", 1_000, None, table=table) == D("0.16634")
    # explicit cap: 1000 x 2.5 + 100 x 10
    assert estimate_worst_case_cost("gpt-4o", 1_000, 100, table=table) == D("0.0035")
    # above 200k on gemini: 300000 x 2.5 + 1000 x 15
    assert estimate_worst_case_cost(
        "gemini-2.5-pro", 300_000, 1_000, provider="gemini", table=table
    ) == D("0.765")
    assert estimate_worst_case_cost("no-such-model", 1, 1, table=table) is None
    assert max_output_tokens("no-such-model", table=table) is None


def test_worst_case_uses_the_dearer_reasoning_rate() -> None:
    from pricing import ModelPrice, RateSet

    rates = RateSet(input=D(1), output=D(2), reasoning=D(8))
    model = ModelPrice("r", "custom", "chat", "", {"standard": (rates,)}, max_output_tokens=10)
    table = PriceTable({"r": model}, version="t")
    # 10 input x 1 + 10 output all reasoning x 8, per 1M
    assert estimate_worst_case_cost("r", 10, None, table=table) == D("0.00009")


def test_estimate_answers_for_at_least_1000_chat_models(table: PriceTable) -> None:
    priced = 0
    for key in table.models():
        entry = table.get(key)
        assert entry is not None
        if entry.mode != "chat":
            continue
        if estimate_worst_case_cost(key, 1_000, 1_000, table=table) is not None:
            priced += 1
    assert priced >= 1000
