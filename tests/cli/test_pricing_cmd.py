"""`agentops pricing ...` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.pricing_cmd import pricing
from pricing import PriceTable

SAMPLE = {
    "acme-large": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_output_tokens": 4096,
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 3e-06,
    }
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def no_user_file(tmp_path: Path) -> list[str]:
    return ["--prices-file", str(tmp_path / "absent.json")]


def test_show_json(runner: CliRunner, no_user_file: list[str], table: PriceTable) -> None:
    result = runner.invoke(
        pricing, ["show", "gpt-4o-2099-01-01", "--provider", "openai", "-o", "json", *no_user_file]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["key"], data["price_version"]) == ("gpt-4o", table.version)
    assert data["rates"]["standard"][0]["input"] == "2.5"


def test_show_table_and_unknown(runner: CliRunner, no_user_file: list[str]) -> None:
    result = runner.invoke(
        pricing, ["show", "gemini-2.5-pro", "--provider", "gemini", *no_user_file]
    )
    assert result.exit_code == 0, result.output
    assert "gemini/gemini-2.5-pro" in result.output
    assert ">200000" in result.output
    result = runner.invoke(pricing, ["show", "no-such-model", *no_user_file])
    assert result.exit_code == 1
    assert "unpriced_model" in result.output


def test_estimate(runner: CliRunner, no_user_file: list[str]) -> None:
    args = ["estimate", "--model", "gpt-4o", "--input", "10000", "--output", "1000",
            "--cached", "4000", "--format", "json", *no_user_file]  # fmt: skip
    result = runner.invoke(pricing, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # 6000 x 2.5 + 4000 x 1.25 + 1000 x 10 per 1M
    assert data["total_usd"] == "0.03"
    assert data["breakdown"] == {"input": "0.015", "cached_read": "0.005", "output": "0.01"}


def test_estimate_tier_reasoning_table(runner: CliRunner, no_user_file: list[str]) -> None:
    args = ["estimate", "-m", "o3", "--input", "1000", "--output", "3000", "--reasoning", "2000",
            "--tier", "batch", *no_user_file]  # fmt: skip
    result = runner.invoke(pricing, args)
    assert result.exit_code == 0, result.output
    # batch: 1000 x 1 + 1000 x 4 + 2000 x 4 per 1M
    assert "total USD  0.013" in result.output
    assert "tier batch" in result.output


def test_estimate_unpriced_exits_1(runner: CliRunner, no_user_file: list[str]) -> None:
    result = runner.invoke(pricing, ["estimate", "-m", "nope", "--input", "1", *no_user_file])
    assert result.exit_code == 1
    assert "unpriced_model" in result.output


def test_list_filters(runner: CliRunner, no_user_file: list[str]) -> None:
    args = ["list", "--provider", "anthropic", "--mode", "chat", "-o", "json", *no_user_file]
    result = runner.invoke(pricing, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["models"]
    assert rows
    assert all(r["provider"] == "anthropic" and r["mode"] == "chat" for r in rows)
    assert {"model": "claude-sonnet-4-5", "provider": "anthropic", "mode": "chat",
            "input": "3", "output": "15"} in rows  # fmt: skip
    result = runner.invoke(pricing, ["list", "--provider", "xai", *no_user_file])
    assert result.exit_code == 0
    assert "xai/grok-4.3" in result.output


def test_import_then_use(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "community.json"
    source.write_text(json.dumps(SAMPLE))
    target = tmp_path / "home" / "prices.json"
    result = runner.invoke(pricing, ["import", str(source), "--prices-file", str(target)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 models" in result.output
    assert target.exists()
    env = {"AGENTOPS_PRICES_FILE": str(target)}
    result = runner.invoke(
        pricing,
        ["estimate", "-m", "acme-large", "--input", "1000", "--output", "1000", "-f", "json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    # 1000 x 1 + 1000 x 3 per 1M
    assert json.loads(result.output)["total_usd"] == "0.004"
    result = runner.invoke(pricing, ["show", "gpt-4o"], env=env)
    assert result.exit_code == 1  # the user file replaces the bundled table


def test_import_rejects_garbage(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text('{"hello": "world"}')
    target = tmp_path / "prices.json"
    result = runner.invoke(pricing, ["import", str(source), "--prices-file", str(target)])
    assert result.exit_code == 1
    assert "neither" in result.output
    assert not target.exists()


@pytest.mark.parametrize("command", ["import", "show", "estimate", "list"])
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(pricing, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: agentops pricing" in result.output
