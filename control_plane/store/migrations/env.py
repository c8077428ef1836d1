"""Alembic environment, configured programmatically by ``control_plane.store.migrate``.

The URL arrives already converted to a synchronous driver (psycopg 3 or pysqlite). SQLite runs
in batch mode so later migrations can alter tables there too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from control_plane.store.tables import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None, "control_plane.store.migrate sets sqlalchemy.url"

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
