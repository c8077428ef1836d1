"""Every CLI command that shows something takes ``-o json`` and prints parseable JSON.

The tree is walked as `agentops --help` lists it: a command either takes ``-o`` with ``json``
among its formats or is listed below with the reason it shows nothing. Then every command
that takes ``-o json`` is run against a live control plane, objects named by name (not id),
and its output parsed; a command added without being run here fails the coverage check.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
import requests
from click.testing import CliRunner

from cli.main import cli
from tests.cli.commands import output_choices, walk
from tests.harness.records import record

# Commands that show no data (they act, run a server, or print a file of their own format).
SHOWS_NOTHING = {
    "agentops up": "runs the whole stack and prints its banner",
    "agentops proxy": "runs the proxy",
    "agentops serve": "runs the control plane",
    "agentops migrate": "applies migrations, one status line",
    "agentops ca env": "prints shell variables (--shell picks the syntax)",
    "agentops ca export": "writes the CA certificate",
    "agentops run": "runs the agent",
    "agentops capture clear": "removes redirect rules",
    "agentops capture init": "installs redirect rules",
    "agentops injector": "serves the admission webhook",
    "agentops dead-letters replay": "sends records again, one count line",
    "agentops agents delete": "deletes",
    "agentops budgets delete": "deletes",
    "agentops teams delete": "deletes",
    "agentops keys revoke": "revokes",
    "agentops members remove": "removes",
    "agentops alerts channels delete": "deletes",
    "agentops policies delete": "deletes",
    "agentops pricing overrides delete": "deletes",
    "agentops policies apply": "prints a YAML diff of what it changes",
    "agentops pricing import": "writes the price table file",
    "agentops config docs": "prints the Markdown reference",
    "agentops config new-secrets-key": "prints one key",
}
# Commands whose -o json needs parts this test does not start; the test that runs them.
JSON_RUN_ELSEWHERE = {
    "agentops approvals show": "tests/e2e/test_approvals.py (needs a proxy holding a call)",
    "agentops approvals approve": "tests/e2e/test_approvals.py",
    "agentops approvals deny": "tests/e2e/test_approvals.py",
    "agentops budgets topup": "tests/e2e/test_budget_topups.py (needs a hard budget reached)",
    "agentops alerts resend": "tests/cli/test_budgets_cmd.py (needs an alert delivery)",
    "agentops admin bootstrap": "tests/e2e/test_bootstrap.py (JSON by default)",
    "agentops runs resume": "tests/e2e/test_policies.py (needs a run a policy paused)",
}
COMMANDS = dict(walk())
TAKES_JSON = {path for path, command in COMMANDS.items() if "json" in output_choices(command)}

POLICY = """\
name: no-gpt4
action: deny
when:
  models: [gpt-4]
"""


def test_every_command_shows_json_or_is_listed_with_a_reason() -> None:
    leaves = {p for p, c in COMMANDS.items() if not isinstance(c, click.Group)} | TAKES_JSON
    missing = sorted(leaves - TAKES_JSON - set(SHOWS_NOTHING))
    assert not missing, f"commands that show something but take no -o json: {missing}"
    stale = sorted((set(SHOWS_NOTHING) | set(JSON_RUN_ELSEWHERE)) - set(COMMANDS))
    assert not stale, f"listed here but not commands: {stale}"
    assert not set(SHOWS_NOTHING) & TAKES_JSON, "a command that takes -o json is listed as not"


def test_docs_say_what_every_json_output_holds() -> None:
    documented = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    undocumented = sorted(p for p in TAKES_JSON if f"`{p}`" not in documented)
    assert not undocumented, f"docs/cli.md does not say what their JSON holds: {undocumented}"


class Walk:
    """Runs commands as a user types them, and remembers which ones answered JSON."""

    def __init__(self) -> None:
        self.answered_json: set[str] = set()

    def json(self, *args: str, input: str | None = None, exit_codes: tuple[int, ...] = (0,),
             env: dict[str, str] | None = None) -> Any:  # fmt: skip
        result = self.invoke(*args, "-o", "json", input=input, env=env)
        assert result.exit_code in exit_codes, result.output
        self.answered_json.add(command_path(args))
        return json.loads(result.stdout)

    def text(self, *args: str) -> str:
        result = self.invoke(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    @staticmethod
    def invoke(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> click.testing.Result:
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def command_path(args: tuple[str, ...]) -> str:
    path, command = "agentops", COMMANDS["agentops"]
    for arg in args:
        if not isinstance(command, click.Group) or f"{path} {arg}" not in COMMANDS:
            break
        path = f"{path} {arg}"
        command = COMMANDS[path]
    return path


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cli-home"
    monkeypatch.setenv("AGENTOPS_HOME", str(home))
    return home


def test_every_showing_command_answers_json_with_objects_named_by_name(
    running_url: str, cli_home: Path, tmp_path: Path
) -> None:
    run = Walk()
    owner = {"email": "walk@example.com", "password": "correct horse", "org_slug": "walk"}
    signup = requests.post(f"{running_url}/api/v1/auth/signup", timeout=10,
                           json={**owner, "org_name": "Walk"})  # fmt: skip
    assert signup.status_code == 202
    login = ("login", "--email", owner["email"], "--api-url", running_url)
    me = run.json(*login, input="correct horse\n")
    assert (me["email"], me["org"], me["role"]) == (owner["email"], "walk", "owner")
    said = run.invoke(*login, input="correct horse\n").stdout
    assert f"signed in as {owner['email']} (owner) to org walk at {running_url}" in said

    team = run.json("teams", "create", "payments")
    run.json("teams", "list")
    assert run.json("teams", "update", "payments", "--description", "refunds")["id"] == team["id"]
    agent = run.json("agents", "create", "my-agent", "--team", "payments")
    assert run.json("agents", "list")["items"][0]["name"] == "my-agent"
    assert run.json("agents", "show", "my-agent")["id"] == agent["id"]
    run.json("agents", "update", "my-agent", "--status", "active")
    missing = run.invoke("agents", "show", "no-such-agent")
    assert missing.exit_code == 1
    assert "no agent named 'no-such-agent' (give its name or its id)" in missing.output

    key = run.json("keys", "create", "ingest", "--scope", "ingest", "--agent", "my-agent")
    assert key["agent_id"] == agent["id"]
    run.json("keys", "list")

    tiny = run.json("budgets", "create", "tiny", "--scope", "agent", "--target", "my-agent",
                    "--limit", "0")  # fmt: skip
    [listed] = run.json("budgets", "list")["items"]
    assert (listed["id"], listed["percent_used"]) == (tiny["id"], "0.00")  # $0 is not 100% used
    assert listed["current_spend_usd"] == "0.0000000000"  # not 0E-10
    assert run.json("budgets", "update", "tiny", "--limit", "5")["limit_usd"] == "5.0000000000"
    run.json("alerts", "channels", "add", "ops", "--kind", "webhook",
             "--url", "https://93.184.215.14/h")  # fmt: skip
    run.json("alerts", "channels")
    run.json("alerts", "deliveries")

    now = datetime.now(UTC)
    records = [
        record("walk", "my-agent", run_id="walk-run", cost="0.5", started_at=now),
        record("walk", "my-agent", run_id="walk-run", cost="0", status="refused", started_at=now),
        record("walk", "my-agent", run_id="walk-run", cost=None, model="private-llm",
               input_tokens=300, output_tokens=40, started_at=now),
    ]  # fmt: skip
    stored = requests.post(f"{running_url}/api/v1/ingest/batch", json={"records": records},
                           headers={"Authorization": f"Bearer {key['key']}"}, timeout=10)  # fmt: skip
    assert stored.json()["stored"] == 3
    assert run.json("runs", "list")["items"][0]["run_id"] == "walk-run"
    calls = run.json("runs", "show", "walk-run")["call_list"]
    assert sorted(c["cost_usd"] for c in calls if c["cost_usd"] is not None) == [
        "0.0000000000", "0.5000000000"]  # fmt: skip
    totals = run.json("costs", "summary")["totals"]
    unpriced = ("unpriced_calls", "unpriced_input_tokens", "unpriced_output_tokens")
    assert [totals[k] for k in unpriced] == [1, 300, 40]
    assert run.text("costs", "summary").splitlines()[-1].startswith(
        "warning: 1 calls unpriced (300 input and 40 output tokens)")  # fmt: skip
    assert run.json("costs", "report")["totals"]["unpriced_calls"] == 1
    hour = now.replace(minute=0, second=0, microsecond=0)
    span = ("--from", hour.isoformat(), "--to", (hour + timedelta(hours=1)).isoformat())
    assert run.json("pricing", "unpriced", *span)["items"][0]["model"] == "private-llm"
    run.json("pricing", "overrides", "set", "--model", "private-llm", "--provider", "openai",
             "--input-per-m", "1", "--output-per-m", "2")  # fmt: skip
    run.json("pricing", "overrides", "list")
    assert run.json("pricing", "reprice", *span, "--dry-run")["calls_examined"] == 3
    run.text("pricing", "reprice", *span)
    totals = run.json("costs", "summary")["totals"]  # priced now: nothing left out
    assert [totals[k] for k in unpriced] == [0, 0, 0]
    bills = Path(__file__).resolve().parents[1] / "control_plane/reconcile/bills/openai_costs.json"
    # A bill line the proxies did not capture is flagged: exit 1, the JSON report still printed.
    run.json("costs", "reconcile", "--provider", "openai", "--file", str(bills), "--no-alert",
             exit_codes=(0, 1))  # fmt: skip

    run.json("pricing", "show", "gpt-4o")
    run.json("pricing", "list", "--provider", "anthropic")
    assert run.json("pricing", "estimate", "--model", "gpt-4o", "--input", "1000")["total_usd"]
    assert run.json("config", "show")["home"] == str(cli_home)
    assert run.json("dead-letters", "list", "--spool", str(tmp_path / "spool")) == {"items": []}

    policy_file = tmp_path / "policies.yaml"
    policy_file.write_text(POLICY)
    assert "created no-gpt4" in run.text("policies", "apply", "-f", str(policy_file))
    run.json("policies", "list")
    assert run.json("policies", "show", "no-gpt4")["action"] == "deny"
    run.json("policies", "simulate", str(policy_file))
    run.json("approvals", "list")

    killed = run.json("kill", "--agent", "my-agent", "--reason", "walk")
    assert killed["rules"][0]["target"] == "my-agent"
    run.json("pause", "--team", "payments", "--reason", "walk")
    run.json("resume", "--agent", "my-agent")
    assert run.json("status")["org"] == "walk"

    invited = run.json("members", "invite", "new@example.com")
    assert "new@example.com" in [m["email"] for m in run.json("members", "list")["items"]]
    run.json("members", "accept", "--token", invited["invite_token"],
             env={"AGENTOPS_PASSWORD": "new person's pass"})  # fmt: skip
    run.json(*login, input="correct horse\n")  # the owner again
    assert run.json("members", "update", "new@example.com", "--role", "viewer")["role"] == "viewer"
    run.json("members", "reset-password", "new@example.com")
    assert "removed member new@example.com" in run.text("members", "remove", "new@example.com")
    assert "revoked key ingest" in run.text("keys", "revoke", "ingest")
    assert "deleted budget tiny" in run.text("budgets", "delete", "tiny")
    assert "deleted channel ops" in run.text("alerts", "channels", "delete", "ops")

    not_run = TAKES_JSON - run.answered_json - set(JSON_RUN_ELSEWHERE)
    assert not not_run, f"commands taking -o json that no test runs: {sorted(not_run)}"
