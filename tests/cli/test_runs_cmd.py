"""`agentops runs` and `agentops costs` against the real API, as table and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from cli.costs_cmd import costs
from cli.login_cmd import login
from cli.runs_cmd import runs
from tests.factories import invoke
from tests.harness.records import record


def test_runs_and_costs_from_the_command_line(running_url: str, cli_home: Path) -> None:
    api = f"{running_url}/api/v1"
    body = {
        "email": "c@acme.example",
        "password": "correct horse",
        "org_name": "acme",
        "org_slug": "acme",
    }
    assert requests.post(f"{api}/auth/signup", json=body, timeout=10).status_code == 202
    account = {"email": body["email"], "password": body["password"]}
    token = requests.post(f"{api}/auth/login", json=account, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    requests.post(f"{api}/teams", json={"name": "payments"}, headers=auth, timeout=10)
    requests.post(
        f"{api}/agents", json={"name": "bot", "team": "payments"}, headers=auth, timeout=10
    )
    key = requests.post(
        f"{api}/api-keys", json={"name": "p", "scopes": ["ingest"]}, headers=auth, timeout=10
    )
    batch = [record(run_id="nightly-42", cost="0.25"), record(run_id="nightly-42", cost="0.5")]
    ingest = {"Authorization": f"Bearer {key.json()['key']}"}
    assert requests.post(
        f"{api}/ingest/batch", json={"records": batch}, headers=ingest, timeout=10
    ).ok
    invoke(login, ["--email", "c@acme.example", "--api-url", running_url], input="correct horse\n")

    table = invoke(runs, ["list", "--agent", "bot"])
    assert table.splitlines()[0].split()[:4] == ["RUN_ID", "AGENT", "TEAM", "STATUS"]
    assert "nightly-42" in table
    assert "0.7500000000" in table
    shown = json.loads(invoke(runs, ["show", "nightly-42", "-o", "json"]))
    assert (shown["calls"], len(shown["call_list"])) == (2, 2)
    assert "CALL_ID" in invoke(runs, ["show", "nightly-42"])

    report = invoke(costs, ["summary", "--by", "team", "--from", "2020-01-01T00:00:00Z"])
    lines = report.splitlines()
    assert lines[1].split()[0] == "payments"
    assert lines[-1].split()[0] == "TOTAL"
    totals = json.loads(invoke(costs, ["summary", "--by", "model", "-o", "json"]))["totals"]
    assert totals["cost_usd"] == "0.7500000000"
