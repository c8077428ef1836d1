"""Store upkeep run at start-up, outside any request: ``agentops migrate`` and the embedded
stack both reseal the alert channels' secrets under the current key."""

from __future__ import annotations

from agentops.settings import Settings
from control_plane.secretbox import load_box
from control_plane.services.alerts import reseal_secrets as reseal
from control_plane.store.engine import create_database


async def reseal_secrets(url: str, settings: Settings) -> int:
    """Seal every channel secret of the database at ``url``; how many rows changed."""
    database = create_database(url)
    try:
        return await reseal(database, load_box(settings))
    finally:
        await database.dispose()
