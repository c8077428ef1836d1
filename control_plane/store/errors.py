"""The database errors code above the store catches, named here so that SQLAlchemy is
imported only under ``control_plane/store/`` (a lint rule, ``control_plane/ruff.toml``)."""

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError  # no connection from the pool in time

__all__ = [
    "IntegrityError",
    "InterfaceError",
    "OperationalError",
    "PoolTimeoutError",
    "SQLAlchemyError",
]
