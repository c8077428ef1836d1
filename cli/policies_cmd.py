"""`agentops policies …`: policies as YAML files an admin keeps in git.

``apply`` is idempotent: each document is compared with the stored policy of the same name and
only a difference is sent (shown as a diff first); applying the same file twice changes
nothing and makes no new revision.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError

from cli._client import ApiCallError, ApiClient
from cli._connection import Connection, connection_options
from cli._output import output_option, render
from policies import Policy

COLUMNS = ("name", "action", "mode", "enabled", "priority", "scope", "revision", "id")
SERVER_FIELDS = ("id", "revision", "created_by", "created_at", "updated_at")


@click.group()
def policies() -> None:
    """List, show, apply (from YAML) and delete policies.

    \b
    Examples:
      agentops policies apply -f policies.yaml
      agentops policies simulate policies.yaml --since 30d
      agentops policies list
    """


@policies.command("list")
@connection_options
@output_option
def list_policies(api: Connection, output: str) -> None:
    """List the org's policies in evaluation order (priority, then name).

    \b
    Example:
      agentops policies list -o json
    """
    page = api.request("GET", "/policies", query={"limit": 200})
    items = sorted(page["items"], key=lambda p: (p["priority"], p["name"]))
    for item in items:
        item["scope"] = _scope(item["scope"])
    render(items if output == "table" else page, output, COLUMNS)


@policies.command("show")
@click.argument("policy")
@connection_options
@click.option("--output", "-o", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True, help="Output format.")  # fmt: skip
def show(policy: str, api: Connection, output: str) -> None:
    """Show one policy (by name or id) as the YAML document `apply` takes.

    \b
    Example:
      agentops policies show no-gpt4 > no-gpt4.yaml
    """
    found = api.request("GET", f"/policies/{policy}")
    if output == "json":
        render(found, "json")
        return
    click.echo(f"# id {found['id']}, revision {found['revision']}")
    click.echo(_yaml(_document(found)), nl=False)


@policies.command("apply")
@click.option("--file", "-f", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="YAML file: one policy, several (--- separated) or a list.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@connection_options
def apply(path: Path, dry_run: bool, api: Connection) -> None:
    """Create or update the policies of a YAML file; unchanged ones are left alone.

    \b
    Example:
      agentops policies apply -f policies.yaml --dry-run   # show the diff only
      agentops policies apply -f policies.yaml
    """
    wanted = _load(path)
    client = api.client()
    for policy in wanted:
        _apply_one(client, policy, dry_run)


@policies.command("simulate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--since", default="30d", show_default=True, help="Window to replay: Nd (days).")
@connection_options
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")  # fmt: skip
def simulate(path: Path, since: str, api: Connection, output: str) -> None:
    """Replay the stored calls of a window through the policies of a YAML file, before
    enabling them: what would be denied, held, redacted or rerouted, and the dollars.

    \b
    Example:
      agentops policies simulate policies.yaml --since 30d
    """
    days = since.removesuffix("d")
    if not days.isdigit() or not 1 <= int(days) <= 400:
        raise click.BadParameter("a number of days from 1 to 400, e.g. 30d", param_hint="--since")
    body = {"policies": _load(path), "since_days": int(days)}
    report = api.request("POST", "/policies/simulate", body)
    if output == "json":
        render(report, "json")
        return
    click.echo(f"{report['calls_scanned']} calls from {report['since']} to {report['until']}")
    rows = [*report["rows"], {**report["totals"], "agent": "TOTAL"}]
    render([_simulated(r) for r in rows], "table", SIMULATION_COLUMNS)
    for note in report["limitations"]:
        click.echo(f"note: {note}")


@policies.command("delete")
@click.argument("policy")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@connection_options
def delete(policy: str, yes: bool, api: Connection) -> None:
    """Delete a policy (by name or id); proxies stop applying it at once.

    \b
    Example:
      agentops policies delete no-gpt4 --yes
    """
    if not yes:
        click.confirm(f"Delete policy {policy}?", abort=True)
    api.request("DELETE", f"/policies/{policy}")
    click.echo(f"deleted {policy}")


def _apply_one(client: ApiClient, policy: dict[str, Any], dry_run: bool) -> None:
    name = policy["name"]
    try:
        current = client.request("GET", f"/policies/{name}")
    except ApiCallError as exc:
        if not exc.message.startswith("404 "):
            raise
        current = None
    if current is None:
        click.echo(f"{'would create' if dry_run else 'created'} {name}")
        click.echo(_diff({}, policy, name), nl=False)
        if not dry_run:
            client.request("POST", "/policies", policy)
        return
    stored = _document(current)
    if stored == policy:
        click.echo(f"unchanged {name}")
        return
    click.echo(_diff(stored, policy, name), nl=False)
    if dry_run:
        click.echo(f"would update {name}")
        return
    patch = {k: v for k, v in policy.items() if k != "schema_version"}
    updated = client.request("PATCH", f"/policies/{current['id']}", patch)
    click.echo(f"updated {name} (revision {updated['revision']})")


def _load(path: Path) -> list[dict[str, Any]]:
    """Every policy of the file, validated and filled with defaults as the server stores it."""
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{path}: not valid YAML: {exc}") from None
    if len(documents) == 1 and isinstance(documents[0], list):
        documents = documents[0]
    found: list[dict[str, Any]] = []
    for index, document in enumerate(documents, start=1):
        try:
            policy = Policy.model_validate(document)
        except ValidationError as exc:
            where = document.get("name", f"#{index}") if isinstance(document, dict) else f"#{index}"
            raise click.ClickException(f"{path}: policy {where}: {exc}") from None
        found.append(policy.model_dump(mode="json"))
    names = [p["name"] for p in found]
    if len(set(names)) != len(names):
        raise click.ClickException(f"{path}: a policy name appears twice")
    return found


def _document(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if k not in SERVER_FIELDS}


def _yaml(document: dict[str, Any]) -> str:
    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def _diff(before: dict[str, Any], after: dict[str, Any], name: str) -> str:
    lines = difflib.unified_diff(
        _yaml(before).splitlines(keepends=True) if before else [],
        _yaml(after).splitlines(keepends=True),
        fromfile=f"{name} (stored)",
        tofile=f"{name} (file)",
    )
    return "".join(lines)


def _scope(scope: dict[str, Any]) -> str:
    return (
        scope["kind"] if scope["kind"] == "org" else f"{scope['kind']}:{','.join(scope['values'])}"
    )


SIMULATION_COLUMNS = ("agent", "team", "calls", "cost_usd", "denied", "held", "redacted",
                      "rerouted", "rerouted_at_new_model", "would_have")  # fmt: skip


def _simulated(row: dict[str, Any]) -> dict[str, Any]:
    def cell(action: str) -> str:
        count = row["counts"][action]
        if not count:
            return "0"
        unpriced = row["unpriced"][action]
        extra = f" +{unpriced} unpriced" if unpriced else ""
        return f"{count} (${row['dollars'][action]}{extra})"

    return {
        "agent": row["agent"],
        "team": row["team"],
        "calls": row["calls"],
        "cost_usd": row["cost_usd"],
        **{action: cell(action) for action in ("denied", "held", "redacted", "rerouted")},
        "rerouted_at_new_model": row["rerouted_cost_at_new_model_usd"],
        "would_have": ", ".join(f"{k}: {v}" for k, v in row["would_have"].items()) or "-",
    }
