"""Migration 0005 merges the three heads into one (history stays linear after it) and can be
rolled back and re-applied."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from control_plane.store.migrate import alembic_config, head_revisions, sync_url, upgrade


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0005_merges_the_others_into_one_line_of_history() -> None:
    assert head_revisions() == {"0021_cli"}  # 0020 merged the second wave; then 0021_pol, 0021_cli
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    merge = script.get_revision("0005")
    assert merge is not None
    assert merge.down_revision == ("0002", "0003", "0004")


def test_0005_downgrades_and_upgrades_again(store_url: str) -> None:
    assert {"price_overrides", "cost_corrections"} <= _tables(store_url)
    command.downgrade(alembic_config(store_url), "0004")
    assert not {"price_overrides", "cost_corrections"} & _tables(store_url)
    upgrade(store_url)
    assert {"price_overrides", "cost_corrections"} <= _tables(store_url)
