"""`agentops migrate`: apply the database migrations."""

from __future__ import annotations

import asyncio

import click

from agentops.settings import load_settings
from control_plane.maintenance import reseal_secrets
from control_plane.store.migrate import record_retention, upgrade


@click.command()
@click.option(
    "--database-url", default=None, help="SQLAlchemy URL (default: control_plane.database_url)."
)
def migrate(database_url: str | None) -> None:
    """Upgrade the control plane database schema to the latest version, and record
    control_plane.retention_months as the retention the database enforces (the API's role
    cannot drop partitions it would keep; re-run after changing it). Alert channel secrets
    are (re)sealed under control_plane.secrets_key: rows stored in clear by older versions,
    and rows sealed under a previous key during a rotation.

    \b
    Examples:
      agentops migrate
      agentops migrate --database-url postgresql+psycopg://agentops@db/agentops
    """
    settings = load_settings()
    cp = settings.control_plane
    url = database_url or cp.database_url
    upgrade(url)
    click.echo("database schema is up to date")
    if record_retention(url, cp.retention_months):
        kept = f"{cp.retention_months} months" if cp.retention_months else "everything (kept)"
        click.echo(f"retention enforced by the database: {kept}")
    sealed = asyncio.run(reseal_secrets(url, settings))
    click.echo(f"alert channel secrets sealed under the current key: {sealed} updated")
