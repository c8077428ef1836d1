"""The bundled table, its derivation, import in both formats, and org overrides."""

from __future__ import annotations

import ast
import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

import pricing
from pricing import (
    PriceFormatError,
    PriceOverride,
    PriceTable,
    Usage,
    derive_table,
    diff_costs,
    import_table,
    price_call,
    reprice,
)
from pricing._resellers import direct_name
from pricing._retired import GEMINI_RETIRED

PACKAGE = Path(pricing.__file__).parent

SAMPLE = """{
  "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "x", "mode": "chat"},
  "acme-large": {"litellm_provider": "openai", "mode": "chat", "max_output_tokens": 4096,
    "input_cost_per_token": 1e-06, "output_cost_per_token": 3.3e-06,
    "cache_read_input_token_cost": 1e-07, "input_cost_per_token_batches": 5e-07,
    "output_cost_per_token_batches": 1.65e-06, "input_cost_per_token_above_128k_tokens": 2e-06,
    "output_cost_per_token_above_128k_tokens": 6.6e-06, "supports_vision": true},
  "acme-image": {"litellm_provider": "openai", "mode": "image_generation",
    "output_cost_per_image": 0.04},
  "acme-latest": {"alias_of": "acme-large"}
}"""


def test_bundled_table_is_versioned(table: PriceTable) -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.[0-9a-f]{12}", table.version)
    assert table.version.startswith(table.effective_date)
    assert len(table) > 3000
    assert (PACKAGE / "data" / "NOTICE").read_text().count("MIT") >= 1


def test_bundled_prices_are_decimal_strings() -> None:
    data = json.loads((PACKAGE / "data" / "prices.json").read_text())
    for entry in data["models"].values():
        for sets in entry["rates"].values():
            for rate_set in sets:
                assert all(isinstance(v, str) for k, v in rate_set.items() if k != "above")
                assert not any("e" in v.lower() for k, v in rate_set.items() if k != "above")


@pytest.mark.parametrize(
    "provider",
    ["openai", "anthropic", "gemini", "vertex", "azure", "bedrock", "mistral", "groq",
     "deepseek", "xai", "together", "fireworks"],
)  # fmt: skip
def test_required_providers_are_covered(table: PriceTable, provider: str) -> None:
    assert any(e.provider == provider for k in table.models() if (e := table.get(k)))


def test_derivation_reproduces_the_bundled_entries(table: PriceTable) -> None:
    # Real entries of the community file (its shape, its float notation), kept beside this
    # test so it runs without the source snapshot; `pricing/tools/derive.py` rebuilds the whole
    # bundle from the full file with the same code.
    community = json.loads((Path(__file__).parent / "community_excerpt.json").read_text())
    derived = derive_table(community, "2026-01-01")
    # Plus the direct entries of Claude snapshots listed only under a reseller's key, and the
    # retired Gemini models (pricing/_retired.py).
    extra = set(derived.models()) - set(community)
    direct = {n for k in community if (n := direct_name(k)) and n not in community}
    assert extra == direct | (set(GEMINI_RETIRED) - set(community))
    assert set(community) <= set(derived.models())
    for key in community:
        ours, bundled = derived.get(key), table.get(key)
        assert ours is not None, key
        assert bundled is not None, key
        assert (ours.provider, ours.mode, ours.rates) == (
            bundled.provider,
            bundled.mode,
            bundled.rates,
        ), key
        assert (ours.max_input_tokens, ours.max_output_tokens) == (
            bundled.max_input_tokens,
            bundled.max_output_tokens,
        ), key


def test_import_community_format() -> None:
    imported = import_table(SAMPLE, effective_date="2025-01-02")
    assert sorted(imported.models()) == ["acme-large"]  # no token price: dropped
    assert imported.version.startswith("2025-01-02.")
    entry = imported.resolve("acme-latest")
    assert entry is not None
    assert entry.key == "acme-large"
    # above 128k: 130000 x 2 + 1000 x 6.6 per 1M
    cost = price_call("acme-large", Usage(130_000, 1_000), table=imported)
    assert cost.total_usd == D("0.2666")
    # batch: 1000 x 0.5 + 1000 x 1.65
    cost = price_call("acme-large", Usage(1_000, 1_000), service_tier="batch", table=imported)
    assert cost.total_usd == D("0.00215")


def test_import_our_format_round_trips() -> None:
    imported = import_table(SAMPLE, effective_date="2025-01-02")
    again = import_table(json.dumps(imported.to_dict()))
    assert again.version == imported.version
    assert again.to_dict() == imported.to_dict()


def test_same_content_same_version_whatever_the_day() -> None:
    first = import_table(SAMPLE, effective_date="2025-01-02")
    later = import_table(SAMPLE, effective_date="2025-03-04", previous=first)
    assert later.version == first.version


@pytest.mark.parametrize(
    "document",
    [
        "[]",
        '{"hello": "world"}',
        '{"format": "agentops-prices", "format_version": 2, "models": {}}',
        '{"format": "agentops-prices", "format_version": 1, "models": {"m": {"rates": {}}}}',
        '{"format": "agentops-prices", "format_version": 1, "models": {"m": {"rates": '
        '{"standard": [{"above": 0, "input": "abc"}]}}}}',
        '{"format": "agentops-prices", "format_version": 1, "models": {"m": {"rates": '
        '{"standard": [{"above": 0, "input": "-1"}]}}}}',
        '{"format": "agentops-prices", "format_version": 1, "models": {"m": {"rates": '
        '{"turbo": [{"above": 0, "input": "1"}]}}}}',
    ],
)
def test_invalid_documents_are_rejected(document: str) -> None:
    with pytest.raises(PriceFormatError):
        import_table(document)


def test_override_discount_and_private_model(table: PriceTable) -> None:
    overrides = [
        PriceOverride(model="gpt-4o", provider="openai", discount_percent=D(20)),
        PriceOverride(model="acme-llama", provider="openai_compatible", input=D("0.2"),
                      output=D("0.4"), effective_date="2025-06-01"),
        PriceOverride(model="gemini-2.5-pro", provider="gemini", output=D("9")),
    ]  # fmt: skip
    org = table.with_overrides(overrides, version="acme.3")
    assert org.version == f"{table.version}+acme.3"
    # 80% of (10000 x 2.5 + 1000 x 10) = 0.8 x 0.035
    cost = price_call("gpt-4o", Usage(10_000, 1_000), provider="openai", table=org)
    assert (cost.total_usd, cost.price_version) == (D("0.028"), org.version)
    # 1000 x 0.2 + 1000 x 0.4
    cost = price_call("acme-llama", Usage(1_000, 1_000), provider="openai_compatible", table=org)
    assert (cost.total_usd, cost.effective_date) == (D("0.0006"), "2025-06-01")
    # output replaced below 200k only: 1000 x 1.25 + 1000 x 9
    cost = price_call("gemini-2.5-pro", Usage(1_000, 1_000), provider="gemini", table=org)
    assert cost.total_usd == D("0.01025")
    # the base table is unchanged: 10000 x 2.5 + 1000 x 10
    assert price_call("gpt-4o", Usage(10_000, 1_000), table=table).total_usd == D("0.035")


@pytest.mark.parametrize(
    "override",
    [
        PriceOverride(model="brand-new", discount_percent=D(10)),
        PriceOverride(model="brand-new"),
        PriceOverride(model="gpt-4o", discount_percent=D(120)),
        PriceOverride(model="gpt-4o", service_tier="turbo", input=D(1)),
        PriceOverride(model="gemini-2.5-pro", provider="openai", input=D(1)),
    ],
)
def test_invalid_overrides(table: PriceTable, override: PriceOverride) -> None:
    with pytest.raises(ValueError):
        table.with_overrides([override], version="x")


def test_reprice_and_diff(table: PriceTable) -> None:
    usage = Usage(10_000, 1_000)
    old = price_call("gpt-4o", usage, table=table)
    new_table = table.with_overrides([PriceOverride("gpt-4o", output=D(20))], version="v2")
    new = reprice(usage, "gpt-4o", "openai", new_table)
    diff = diff_costs(old, new)
    # 0.025 + 1000 x 20 per 1M = 0.045 vs 0.035
    assert (diff.old_total, diff.new_total, diff.delta) == (D("0.035"), D("0.045"), D("0.01"))
    assert (diff.old_version, diff.new_version, diff.changed) == (
        table.version,
        f"{table.version}+v2",
        True,
    )


BANNED = {"asyncio", "aiohttp", "sqlalchemy", "redis", "mitmproxy", "socket", "urllib",
          "http", "requests", "httpx", "agentops", "proxy", "control_plane", "policies", "cli"}  # fmt: skip


@pytest.mark.parametrize("module", sorted(p for p in PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_pricing_is_pure(module: Path) -> None:
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        assert not {n.split(".")[0] for n in names} & BANNED, (module.name, names)
