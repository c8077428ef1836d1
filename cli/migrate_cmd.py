"""`agentops migrate`: apply the database migrations."""

from __future__ import annotations

import click

from agentops.settings import load_settings
from control_plane.store.migrate import upgrade


@click.command()
@click.option(
    "--database-url", default=None, help="SQLAlchemy URL (default: control_plane.database_url)."
)
def migrate(database_url: str | None) -> None:
    """Upgrade the control plane database schema to the latest version.

    \b
    Examples:
      agentops migrate
      agentops migrate --database-url postgresql+psycopg://agentops@db/agentops
    """
    url = database_url or load_settings().control_plane.database_url
    upgrade(url)
    click.echo("database schema is up to date")
