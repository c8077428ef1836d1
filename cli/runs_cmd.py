"""`agentops runs …`: list runs, show one run with its calls, resume a paused run."""

from __future__ import annotations

from typing import Any

import click

from cli._connection import Connection, connection_options, url_alias
from cli._output import output_option, render

COLUMNS = ("run_id", "agent", "team", "status", "calls", "errors", "cost_usd", "started_at")
CALL_COLUMNS = ("call_id", "started_at", "model", "status", "input_tokens", "output_tokens",
                "cost_usd", "latency_ms")  # fmt: skip


@click.group()
def runs() -> None:
    """Browse agent runs: what each run called, what it cost, how it ended.

    \b
    Examples:
      agentops runs list --agent refund-bot --status error
      agentops runs show nightly-42
      agentops runs resume nightly-42 --reason "the loop was a retry storm, fixed"
    """


@runs.command("list")
@click.option("--agent", default=None, help="Only runs of this agent (name).")
@click.option("--team", default=None, help="Only runs of this team (name).")
@click.option("--status", type=click.Choice(["running", "ok", "error"]), default=None)
@click.option("--model", default=None, help="Only runs with a call to this model.")
@click.option("--provider", default=None, help="Only runs with a call to this provider.")
@click.option("--tag", default=None, help="Text found in the run's tags.")
@click.option("--min-cost", default=None, help="Minimum run cost in USD, e.g. 0.50.")
@click.option("--max-cost", default=None, help="Maximum run cost in USD.")
@click.option("--from", "from_", default=None, metavar="ISO", help="Start (default: 30 days ago).")
@click.option("--to", default=None, metavar="ISO", help="End, exclusive (default: now).")
@click.option("--sort", type=click.Choice(["started_at", "cost"]), default="started_at",
              show_default=True, help="Newest first, or costliest first.")  # fmt: skip
@click.option("--limit", type=int, default=50, show_default=True, help="Runs per page.")
@click.option("--cursor", default=None, help="next_cursor of a previous page.")
@connection_options
@output_option
def list_runs(
    agent: str | None, team: str | None, status: str | None, model: str | None,
    provider: str | None, tag: str | None, min_cost: str | None, max_cost: str | None,
    from_: str | None, to: str | None, sort: str, limit: int, cursor: str | None,
    api: Connection, output: str,
) -> None:  # fmt: skip
    """List runs, newest (or costliest) first.

    \b
    Examples:
      agentops runs list --team payments --from 2026-11-01T00:00:00Z
      agentops runs list --sort cost --min-cost 1 -o json
    """
    query = {"agent": agent, "team": team, "status": status, "model": model,
             "provider": provider, "tag": tag, "min_cost": min_cost, "max_cost": max_cost,
             "from": from_, "to": to, "sort": sort, "limit": limit, "cursor": cursor}  # fmt: skip
    page = api.request("GET", "/runs", query=query)
    if output == "json":
        render(page, output)
        return
    render([_marked(run) for run in page["items"]], output, COLUMNS)
    if page["next_cursor"]:
        click.echo(f"more: --cursor {page['next_cursor']}")


@runs.command("show")
@click.argument("run")
@connection_options
@output_option
def show_run(run: str, api: Connection, output: str) -> None:
    """Show a run (by its id or the run id its calls carried) and its calls.

    \b
    Example:
      agentops runs show nightly-42
    """
    detail = api.request("GET", f"/runs/{run}")
    if output == "json":
        render(detail, output)
        return
    calls = detail.pop("call_list")
    render(_marked(detail), output, (*COLUMNS, "input_tokens", "output_tokens", "unpriced_calls"))
    click.echo()
    for call in calls:
        if call["cost_usd"] is None:
            call["cost_usd"] = f"unpriced ({call['unpriced_reason']})"
    render(calls, output, CALL_COLUMNS)


@runs.command("resume")
@click.argument("run")
@click.option("--reason", default=None, help="Kept in the audit log.")
@connection_options
@url_alias
@output_option
def resume_run(run: str, reason: str | None, api: Connection, output: str) -> None:
    """Lift the pause a pause_run policy (runaway-loop detection) put on a run, before it
    expires. Every proxy lets the run's next call through. The run's counts stay: a loop that
    carries on is paused again.

    \b
    Example:
      agentops runs resume nightly-42 --reason "checked: not a loop"
    """
    result = api.request("POST", f"/runs/{run}/resume", {"reason": reason})
    if output == "json":
        render(result, output)
        return
    click.echo(f"resumed run {result['run_id']} (was: {result['pause']})")


def _marked(run: dict[str, Any]) -> dict[str, Any]:
    """A run whose cost leaves unpriced calls out says so instead of looking free."""
    if run["unpriced_calls"]:
        return {**run, "cost_usd": f"{run['cost_usd']} + {run['unpriced_calls']} unpriced"}
    return run
