"""The store's interface types, so that code above the store does not import SQLAlchemy (only
``control_plane/store/`` may: a lint rule, ``control_plane/ruff.toml``). Store functions take
the session explicitly and never commit; the handler or job that opened the transaction does."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession


@dataclass(frozen=True)
class Span:
    """The rows of a time range [start, end), of one agent or team when given (the base of the
    run, call and rollup filters)."""

    start: datetime
    end: datetime
    agent_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
