"""``agentops dead-letters list | replay``: records the control plane rejected, kept by a proxy.

Run on the proxy's host (or with its spool volume): the spool directory, the control plane URL
and the proxy's API key come from the proxy's settings (``AGENTOPS_PROXY__*``), or the options.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import click
from pydantic import SecretStr

from agentops.settings import load_settings
from cli._output import echo_json, output_option


def _spool(spool: Path | None) -> Path:
    return spool if spool is not None else load_settings().proxy.spool_dir


@click.group("dead-letters")
def dead_letters() -> None:
    """Records the control plane rejected, kept in the proxy's dead-letter file."""


@dead_letters.command("list")
@click.option("--spool", type=click.Path(path_type=Path), help="Spool directory of the proxy.")
@output_option
def list_(spool: Path | None, output: str) -> None:
    """List dead letters: when, call id, org, agent, and the control plane's reason.

    \b
    Example:
      agentops dead-letters list --spool /var/lib/agentops/spool -o json
    """
    from proxy.dead_letters import DeadLetters

    letters = DeadLetters(_spool(spool)).read()
    if output == "json":
        echo_json(
            {"items": [{"at": d.at, "reason": d.reason, "record": d.record} for d in letters]}
        )
        return
    if not letters:
        click.echo("no dead letters")
        return
    for letter in letters:
        r = letter.record
        click.echo(
            f"{letter.at}  {r.get('call_id')}  org {r.get('org')}  agent {r.get('agent')}  "
            f"{letter.reason}"
        )
    kinds = Counter(_kind(letter.reason) for letter in letters)
    click.echo(f"{len(letters)} dead letter(s): " + ", ".join(f"{k} {n}" for k, n in kinds.items()))


@dead_letters.command("replay")
@click.option("--spool", type=click.Path(path_type=Path), help="Spool directory of the proxy.")
@click.option("--url", default=None, help="Control plane URL (default: the proxy's setting).")
@click.option(
    "--key", envvar="AGENTOPS_PROXY__API_KEY", default=None, help="Proxy API key (ingest scope)."
)
def replay(spool: Path | None, url: str | None, key: str | None) -> None:
    """Send the dead letters again, once their cause is fixed (agent registered, key scope…).

    Those the control plane stores (or already holds) leave the file; those it rejects again
    stay, with the new reason.

    \b
    Example:
      agentops dead-letters replay --spool /var/lib/agentops/spool
    """
    settings = load_settings()
    base = url or settings.proxy.control_plane_url
    if not base:
        raise click.UsageError(
            "no control plane URL: give --url or AGENTOPS_PROXY__CONTROL_PLANE_URL"
        )
    secret = SecretStr(key) if key else settings.proxy.api_key
    stored, kept = asyncio.run(_replay(_spool(spool), base, secret))
    click.echo(f"replayed: {stored} stored or already held, {kept} still rejected (kept)")


async def _replay(spool: Path, url: str, key: SecretStr | None) -> tuple[int, int]:
    from proxy.dead_letters import DeadLetter, DeadLetters
    from proxy.http_sink import HttpSink

    letters = DeadLetters(spool)
    pending = letters.read()
    sink = HttpSink(url, key)
    await sink.start()
    keep: list[DeadLetter] = []
    try:
        for start in range(0, len(pending), 500):
            batch = pending[start : start + 500]
            answer = await sink.deliver([d.record for d in batch])
            for outcome in answer.outcomes:
                if outcome.status == "rejected":
                    old = batch[outcome.index]
                    keep.append(DeadLetter(old.record, outcome.reason or old.reason, old.at))
    finally:
        await sink.close()
    letters.rewrite(keep)
    return len(pending) - len(keep), len(keep)


def _kind(reason: str) -> str:
    from proxy.dead_letters import reason_kind

    return reason_kind(reason)
