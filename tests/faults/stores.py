"""Read what the control plane stored, straight from its PostgreSQL database."""

from __future__ import annotations

import asyncio

import psycopg


def _count_calls(pg_url: str, agent: str | None, refused: bool) -> tuple[int, int]:
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    query = (
        "SELECT count(*), count(DISTINCT c.call_id) FROM calls c JOIN agents a ON a.id = c.agent_id"
    )
    args: tuple[str, ...] = ()
    if agent is not None:
        query += " AND a.name = %s"
        args = (agent,)
    if not refused:
        query += " AND c.status <> 'refused'"
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(query, args).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def stored_calls(
    pg_url: str, agent: str | None = None, *, refused: bool = True
) -> tuple[int, int]:
    """(rows, distinct call ids) in ``calls``, for one agent name or all. A refusal is recorded
    too, as ``refused``; ``refused=False`` counts only the calls that went upstream."""
    return await asyncio.to_thread(_count_calls, pg_url, agent, refused)
