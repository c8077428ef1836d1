"""Control state converges on the bus: every org whose snapshot or key directory on the bus is
behind its stored version is published again (``control_plane.services.control_state``)."""

from __future__ import annotations

from control_plane.jobs.context import JobContext
from control_plane.services import control_state


async def republish(ctx: JobContext) -> None:
    await control_state.republish(ctx.database, ctx.bus)
