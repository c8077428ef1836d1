"""The store's interface types, so that code above the store does not import SQLAlchemy (only
``control_plane/store/`` may: a lint rule, ``control_plane/ruff.toml``). Store functions take
the session explicitly and never commit; the handler or job that opened the transaction does."""

from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
