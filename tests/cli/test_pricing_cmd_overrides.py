"""`agentops pricing overrides|unpriced|reprice` against the real app, as table and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from click.testing import CliRunner

from cli.login_cmd import login
from cli.pricing_cmd import pricing
from tests.factories import invoke
from tests.harness.records import T0, record

PRIVATE = "acme-private-llm"
START = (T0 - timedelta(hours=1)).isoformat()
END = (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def _org_with_an_unpriced_call(url: str) -> None:
    api = f"{url}/api/v1"
    body = {"email": "p@acme.example", "password": "correct horse", "org_name": "acme",
            "org_slug": "acme"}  # fmt: skip
    assert requests.post(f"{api}/auth/signup", json=body, timeout=10).status_code == 202
    account = {"email": body["email"], "password": body["password"]}
    token = requests.post(f"{api}/auth/login", json=account, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{api}/agents", json={"name": "bot"}, headers=auth, timeout=10).ok
    key = requests.post(
        f"{api}/api-keys", json={"name": "p", "scopes": ["ingest"]}, headers=auth, timeout=10
    ).json()["key"]
    calls = [record(model=PRIVATE, cost=None, input_tokens=4_000_000, output_tokens=0)]
    answer = requests.post(f"{api}/ingest/batch", json={"records": calls},
                           headers={"Authorization": f"Bearer {key}"}, timeout=10)  # fmt: skip
    assert answer.json()["stored"] == 1


def test_overrides_unpriced_and_reprice_from_the_command_line(
    running_url: str, cli_home: Path
) -> None:
    _org_with_an_unpriced_call(running_url)
    invoke(login, ["--email", "p@acme.example", "--api-url", running_url], input="correct horse\n")

    listing = invoke(pricing, ["unpriced", "--from", START, "--to", END])
    assert listing.splitlines()[0].split()[:3] == ["MODEL", "PROVIDER", "CALLS"]
    assert PRIVATE in listing

    rates = ["--input-per-m", "0.25", "--output-per-m", "1", "--cached-per-m", "0.1"]
    invoke(pricing, ["overrides", "set", "--model", PRIVATE, "--provider", "openai", *rates])
    shown = json.loads(invoke(pricing, ["overrides", "list", "-o", "json"]))
    assert shown["version"] == 1
    assert [(o["model"], o["input"], o["cached_read"]) for o in shown["items"]] == [
        (PRIVATE, "0.2500000000", "0.1000000000")
    ]
    assert "override version 1" in invoke(pricing, ["overrides", "list"])

    dry = invoke(pricing, ["reprice", "--from", START, "--to", END, "--dry-run"])
    assert dry.startswith("1 of 1 calls would change: 0.0000000000 -> 1.0000000000 USD")
    assert "batch" not in dry
    done = invoke(pricing, ["reprice", "--from", START, "--to", END, "--model", PRIVATE])
    assert done.startswith("1 of 1 calls changed")
    assert "corrections recorded as batch" in done
    after = json.loads(invoke(pricing, ["unpriced", "--from", START, "-o", "json"]))
    assert after["items"] == []

    assert "Deleted" in invoke(
        pricing, ["overrides", "delete", "--model", PRIVATE, "--provider", "openai"]
    )
    assert json.loads(invoke(pricing, ["overrides", "list", "-o", "json"]))["version"] == 2
    missing = CliRunner().invoke(pricing, ["overrides", "delete", "--model", PRIVATE])
    assert missing.exit_code == 1
    assert "404 not_found" in missing.output
