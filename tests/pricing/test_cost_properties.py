"""Properties: breakdown sums to the total; adding tokens of any class never lowers the cost.

Because `input` and `output` are totals, "adding k cached-read tokens" means input += k and
cached_read += k (likewise for the other subsets); raising input or output alone adds uncached
input or plain output.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import Usage, load_bundled_table, price_call

MODELS = [
    ("gpt-4o", "openai"),
    ("o3", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("gemini-2.5-pro", "gemini"),
    ("gemini-2.5-flash", "gemini"),
    ("claude-sonnet-4-5@20250929", "vertex"),
    ("grok-4.3", "xai"),
    ("deepseek-chat", "deepseek"),
    ("perplexity/pplx-7b-online", None),
]
SUBSETS = {  # class -> the total it belongs to
    "cached_read": "input",
    "cache_write_5m": "input",
    "cache_write_1h": "input",
    "audio_input": "input",
    "reasoning": "output",
    "audio_output": "output",
}
counts = st.integers(min_value=0, max_value=400_000)


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    parts = {name: draw(st.integers(0, 50_000)) for name in SUBSETS}
    extra_in, extra_out = draw(counts), draw(counts)
    input_total = extra_in + sum(parts[c] for c, t in SUBSETS.items() if t == "input")
    output_total = extra_out + sum(parts[c] for c, t in SUBSETS.items() if t == "output")
    return Usage(input=input_total, output=output_total, **parts)


tiers = st.sampled_from([None, "batch", "flex", "priority"])
models = st.sampled_from(MODELS)
classes = st.sampled_from(["input", "output", *SUBSETS])


@settings(max_examples=300, deadline=None)
@given(models, usages(), tiers)
def test_breakdown_sums_to_total(
    model: tuple[str, str | None], usage: Usage, tier: str | None
) -> None:
    cost = price_call(
        model[0], usage, provider=model[1], service_tier=tier, table=load_bundled_table()
    )
    if cost.total_usd is None:
        assert usage == Usage()
        return
    assert sum(cost.breakdown.values()) == cost.total_usd
    assert all(v >= 0 for v in cost.breakdown.values())


@settings(max_examples=300, deadline=None)
@given(models, usages(), tiers, classes, st.integers(1, 300_000))
def test_more_tokens_never_cost_less(
    model: tuple[str, str | None], usage: Usage, tier: str | None, rate_class: str, more: int
) -> None:
    bigger = {rate_class: getattr(usage, rate_class) + more}
    if rate_class in SUBSETS:
        total = SUBSETS[rate_class]
        bigger[total] = getattr(usage, total) + more
    grown = dataclasses.replace(usage, **bigger)
    table = load_bundled_table()
    before = price_call(model[0], usage, provider=model[1], service_tier=tier, table=table)
    after = price_call(model[0], grown, provider=model[1], service_tier=tier, table=table)
    assert after.total_usd is not None
    assert before.total_usd is None or after.total_usd >= before.total_usd
