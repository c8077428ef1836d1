"""`agentops budgets|alerts|costs report` drive the real API."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from cli.agents_cmd import agents
from cli.alerts_cmd import alerts
from cli.budgets_cmd import budgets
from cli.login_cmd import login
from cli.reconcile_cmd import reconcile
from cli.reports_cmd import report
from tests.factories import invoke as run
from tests.harness.api_org import call_record


def test_budgets_alerts_and_reports_from_the_cli(running_url: str, cli_home: Path) -> None:
    body = {
        "email": "fin@example.com",
        "password": "correct horse",
        "org_name": "Fin",
        "org_slug": "fin",
    }
    assert requests.post(f"{running_url}/api/v1/auth/signup", json=body, timeout=10).ok
    account = {"email": body["email"], "password": body["password"]}
    token = requests.post(f"{running_url}/api/v1/auth/login", json=account, timeout=10).json()[
        "access_token"
    ]
    run(login, ["--email", "fin@example.com", "--api-url", running_url], input="correct horse\n")
    run(agents, ["create", "bot"])
    created = json.loads(run(budgets, [
        "create", "bot-daily", "--scope", "agent", "--target", "bot", "--limit", "10",
        "--period", "daily", "--threshold", "50", "--hard", "-o", "json",
    ]))  # fmt: skip
    assert created["enforcement"] == "hard"
    assert created["threshold_alert_percent"] == ["50"]
    run(budgets, ["update", created["id"], "--limit", "8"])
    assert "bot-daily" in run(budgets, ["list"])
    channel = json.loads(
        run(
            alerts,
            [
                "channels",
                "add",
                "ops",
                "--kind",
                "webhook",
                "--url",
                "https://93.184.215.14/h",  # a public address: the SSRF guard resolves names
                "-o",
                "json",
            ],
        )
    )
    assert channel["secret"].startswith("whsec_")
    assert "ops" in run(alerts, ["channels"])

    headers = {"Authorization": f"Bearer {token}"}
    key = requests.post(
        f"{running_url}/api/v1/api-keys",
        json={"name": "i", "scopes": ["ingest"]},
        headers=headers,
        timeout=10,
    ).json()["key"]
    now = datetime.now(UTC)
    records = [call_record("fin", "bot", cost, now) for cost in ("3", "1.5", "0.25", None)]
    answer = requests.post(f"{running_url}/api/v1/ingest/batch", json={"records": records},
                           headers={"Authorization": f"Bearer {key}"}, timeout=10).json()  # fmt: skip
    assert answer["stored"] == 4
    deliveries = json.loads(run(alerts, ["deliveries", "-o", "json"]))["items"]
    assert [d["event_type"] for d in deliveries] == ["budget.threshold"]
    resent = json.loads(run(alerts, ["resend", deliveries[0]["id"], "-o", "json"]))
    assert resent["status"] == "pending"

    day = f"{now:%Y-%m-%d}"
    table = run(report, ["--from", day, "--by", "agent,model"]).splitlines()
    assert table[-2].split()[-3:] == ["4.7500000000", "+", "unpriced"]  # the TOTAL line
    assert table[-1].startswith("warning: 1 calls unpriced (100 input and 20 output tokens)")
    rows = list(
        csv.DictReader(io.StringIO(run(report, ["--from", day, "--by", "agent", "-o", "csv"])))
    )
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal("4.75")
    data = json.loads(run(report, ["--from", day, "-o", "json"]))
    assert Decimal(data["totals"]["cost_usd"]) == Decimal("4.75")
    legacy = CliRunner().invoke(report, ["--from", day, "--format", "json"])
    assert json.loads(legacy.stdout)["totals"] == data["totals"]  # --format: still served
    assert legacy.stderr.startswith("warning: --format is deprecated")
    result = CliRunner().invoke(report, ["--from", day, "-o", "focus"])
    focus = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sum(Decimal(r["BilledCost"]) for r in focus) == Decimal("4.75")
    assert {r["x_PricingStatus"] for r in focus} == {"Priced", "Unpriced"}
    assert result.stderr.startswith("warning: 1 calls unpriced")  # the file itself stays clean
    run(budgets, ["delete", created["id"]])

    cur = Path(__file__).parents[1] / "control_plane" / "reconcile" / "bills" / "bedrock_cur.csv"
    flagged = CliRunner().invoke(
        reconcile, ["--provider", "bedrock", "--file", str(cur), "--no-alert"]
    )
    assert flagged.exit_code == 1  # a flagged line fails the command, for scripts and CI
    assert "not_captured" in flagged.stdout
    assert "around the proxy 0.2800000000" in flagged.stdout


@pytest.mark.parametrize("command", [budgets, alerts, report, reconcile])
def test_every_command_has_help_with_an_example(command: click.Command) -> None:
    pending = [command]
    while pending:
        cmd = pending.pop()
        pending += list(getattr(cmd, "commands", {}).values())
        assert "Example" in (cmd.help or ""), cmd.name
