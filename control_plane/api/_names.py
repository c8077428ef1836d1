"""Names in a listing's filters, turned into ids. A name that matches nothing raises
``NothingNamed``: the listing answers an empty page, as it would for any filter matching nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from control_plane.store.types import AsyncSession


class NothingNamed(Exception):
    """A filter names an agent, team or run the org does not have."""


class _Row(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


async def id_named[R: _Row](
    lookup: Callable[[AsyncSession, uuid.UUID, str], Awaitable[R | None]],
    session: AsyncSession,
    org_id: uuid.UUID,
    name: str | None,
) -> uuid.UUID | None:
    """The id of the row ``lookup`` finds for ``name``; None when no name is given."""
    if name is None:
        return None
    row = await lookup(session, org_id, name)
    if row is None:
        raise NothingNamed(name)
    return row.id
