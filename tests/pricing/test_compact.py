"""The compact bundled catalogue prices exactly as the eagerly loaded one."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pytest

from pricing import PriceOverride, PriceTable, Usage, price_call
from pricing._compact import CompactModels, pack
from pricing._table import PackedTable, parse_json
from tests.pricing.test_resolve import CASES


@pytest.fixture(scope="module")
def eager() -> PriceTable:
    text = resources.files("pricing").joinpath("data", "prices.json").read_bytes()
    return PriceTable.from_dict(parse_json(text))


@pytest.fixture
def compact() -> PriceTable:
    """A fresh compact table (the session's bundled one has entries decoded by other tests)."""
    text = resources.files("pricing").joinpath("data", "prices.json").read_bytes()
    return PriceTable.from_packed(PackedTable.from_json(text))


def test_every_entry_equals_the_eager_one(eager: PriceTable, compact: PriceTable) -> None:
    assert (compact.version, compact.effective_date) == (eager.version, eager.effective_date)
    assert list(compact.models()) == list(eager.models())
    assert compact.to_dict() == eager.to_dict()
    for key in eager.models():
        entry, expected = compact.get(key), eager.get(key)
        assert entry == expected, key
        assert entry is not None
        assert expected is not None
        assert entry.effective == expected.effective, key  # derived rates, compare=False


def test_resolution_and_prices_are_the_eager_ones(eager: PriceTable, compact: PriceTable) -> None:
    usage = Usage(input=120_000, output=3_000, cached_read=40_000, reasoning=1_000)
    for model, provider, _ in CASES:
        assert compact.resolve(model, provider) == eager.resolve(model, provider), model
        for tier in ("standard", "batch", "flex", "priority"):
            cost = price_call(model, usage, provider=provider, service_tier=tier, table=compact)
            assert cost == price_call(
                model, usage, provider=provider, service_tier=tier, table=eager
            )
            assert cost.total_usd is None or isinstance(cost.total_usd, Decimal)


def test_entries_are_decoded_once_on_first_read() -> None:
    models = CompactModels(
        pack(
            {
                "m": {"provider": "openai", "rates": {"standard": [{"input": "1.0", "output": 2}]}},
                "n": {"provider": "openai", "rates": {"standard": [{"input": Decimal("1e-06")}]}},
            }
        )
    )
    assert (len(models), list(models), models.decoded()) == (2, ["m", "n"], 0)
    assert "m" in models
    assert "x" not in models
    assert models.get("x") is None
    first = models["m"]
    assert models.get("m") is first
    assert models.decoded() == 1
    assert str(first.rates["standard"][0].input) == "1.0"  # the exact text, not 1
    assert models["n"].rates["standard"][0].input == Decimal("1e-06")
    with pytest.raises(KeyError):
        models["x"]


def test_a_key_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        pack({"a\nb": {}})


def test_overrides_decode_only_the_entries_they_target(
    eager: PriceTable, compact: PriceTable
) -> None:
    """An org's overrides on the compact catalogue leave it compact (they were a copy of every
    entry: ~4,000 decoded, ~145 ms) and price as on the eager one."""
    overrides = [
        PriceOverride("gpt-4o", provider="openai", input=Decimal("1"), output=Decimal("2")),
        PriceOverride("in-house-model", input=Decimal("3"), output=Decimal("4")),
    ]
    ours, theirs = (
        compact.with_overrides(overrides, "org.1"),
        eager.with_overrides(overrides, "org.1"),
    )
    assert isinstance(compact._models, CompactModels)
    assert compact._models.decoded() <= 2  # gpt-4o, and the entry its provider check read
    assert ours.overridden() == theirs.overridden() == {"gpt-4o", "in-house-model"}
    assert compact.overridden() == frozenset()
    usage = Usage(input=1_000_000, output=1_000_000)
    for model in ("gpt-4o", "in-house-model", "gpt-4o-mini"):
        assert price_call(model, usage, table=ours) == price_call(model, usage, table=theirs)
    assert ours.to_dict()["models"]["gpt-4o"] == theirs.to_dict()["models"]["gpt-4o"]
