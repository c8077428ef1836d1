"""`agentops policies` against the real API: apply from YAML (idempotent, with a diff), list,
show, delete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import click
import requests
from click.testing import CliRunner

from cli.login_cmd import login
from cli.policies_cmd import policies
from tests.control_plane.conftest import running_url  # noqa: F401
from tests.factories import invoke

FILE = """\
name: no-gpt4
description: gpt-4 class models cost too much for batch agents
scope: {kind: team, values: [batch]}
when:
  models: ["gpt-4*"]
action: deny
message: use gpt-4o-mini
---
name: mask-secrets
action: redact
when:
  detectors: [api_key, private_key]
"""


def run(args: list[str], command: click.Command = policies, **kw: str) -> str:
    return invoke(command, args, **kw)


def test_apply_is_idempotent_and_shows_a_diff(
    running_url: str,  # noqa: F811
    cli_home: Path,
    tmp_path: Path,
) -> None:
    body = {"email": "sec@example.com", "password": "correct horse",
            "org_name": "Sec", "org_slug": "sec"}  # fmt: skip
    assert requests.post(f"{running_url}/api/v1/auth/signup", json=body, timeout=10).ok
    run(["--email", "sec@example.com", "--api-url", running_url], login, input="correct horse\n")
    path = tmp_path / "policies.yaml"
    path.write_text(FILE)

    first = run(["apply", "-f", str(path)])
    assert "created no-gpt4" in first
    assert "created mask-secrets" in first
    again = run(["apply", "-f", str(path)])
    assert "unchanged no-gpt4" in again
    assert "unchanged mask-secrets" in again

    path.write_text(FILE.replace("action: deny", "action: deny\nmode: shadow"))
    dry = run(["apply", "-f", str(path), "--dry-run"])
    assert "-mode: enforce" in dry
    assert "+mode: shadow" in dry
    assert "would update no-gpt4" in dry
    assert "mode: enforce" in run(["show", "no-gpt4"])  # the dry run changed nothing
    changed = run(["apply", "-f", str(path)])
    assert "updated no-gpt4 (revision 2)" in changed
    assert "unchanged mask-secrets" in changed

    listed = run(["list"])
    assert "no-gpt4" in listed
    assert "team:batch" in listed
    shown = run(["show", "no-gpt4"])
    assert "mode: shadow" in shown
    assert "revision 2" in shown
    run(["delete", "no-gpt4", "--yes"])
    assert "no-gpt4" not in run(["list"])


def test_apply_refuses_an_invalid_file_before_sending_anything(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: r\naction: route\n")
    result = CliRunner().invoke(policies, ["apply", "-f", str(path)])
    assert result.exit_code != 0
    assert "policy r" in result.output
    assert "route_to" in result.output


def test_simulate_prints_per_agent_and_the_totals(
    running_url: str,  # noqa: F811
    cli_home: Path,
    tmp_path: Path,
) -> None:
    body = {"email": "sim@example.com", "password": "correct horse",
            "org_name": "Sim", "org_slug": "sim"}  # fmt: skip
    assert requests.post(f"{running_url}/api/v1/auth/signup", json=body, timeout=10).ok
    credentials = {"email": body["email"], "password": body["password"]}
    token = requests.post(f"{running_url}/api/v1/auth/login", json=credentials, timeout=10).json()[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    key = requests.post(f"{running_url}/api/v1/api-keys", headers=headers, timeout=10,
                        json={"name": "k", "scopes": ["ingest"]}).json()["key"]  # fmt: skip
    agent = requests.post(f"{running_url}/api/v1/agents", headers=headers, timeout=10,
                          json={"name": "bot"})  # fmt: skip
    assert agent.ok, agent.text
    started = datetime.now(UTC).isoformat()
    records = [
        {"call_id": str(uuid.uuid4()), "org": "sim", "agent": "bot", "run_id": "r",
         "provider": "openai", "endpoint": "chat.completions", "model_requested": model,
         "model_served": model, "status": "ok", "tokens": {"input": 10, "output": 5},
         "cost": {"total_usd": "0.5"}, "started_at": started}
        for model in ("gpt-4o", "gpt-4o", "gpt-4o-mini")
    ]  # fmt: skip
    ingested = requests.post(f"{running_url}/api/v1/ingest/batch", timeout=10,
                             headers={"Authorization": f"Bearer {key}"}, json={"records": records})  # fmt: skip
    assert ingested.json()["stored"] == 3, ingested.text
    run(["--email", "sim@example.com", "--api-url", running_url], login, input="correct horse\n")
    path = tmp_path / "draft.yaml"
    path.write_text("name: no-4o\naction: deny\nwhen: {models: [gpt-4o]}\n")
    shown = run(["simulate", str(path), "--since", "7d"])
    assert "3 calls from" in shown
    assert "2 ($1.0" in shown  # two calls denied, $1.0 between them
    assert "TOTAL" in shown
    assert run(["list"]).strip() == "(none)"  # a simulation saves nothing
    bad = CliRunner().invoke(policies, ["simulate", str(path), "--since", "forever"])
    assert bad.exit_code != 0
    assert "number of days" in bad.output
