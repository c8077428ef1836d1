"""Pricing owns the token classes; every other place that spells them out agrees with it."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from pydantic import BaseModel
from sqlalchemy import create_engine, inspect

from agentops.wire.record import TokenCounts
from control_plane.schemas.calls import TokensOut
from control_plane.schemas.prices import RATE_FIELDS, OverrideCreate, OverrideOut
from control_plane.store.migrate import sync_url
from control_plane.store.tables.price_overrides import RATE_COLUMNS, PriceOverrideRow
from pricing import RATE_CLASSES, TOKEN_CLASSES, PriceOverride, RateSet, Usage
from proxy.providers.base import ResponseFacts


def _dataclass_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _model_fields(cls: type[BaseModel], classes: tuple[str, ...]) -> list[str]:
    return [name for name in cls.model_fields if name in classes]


def test_rate_classes_are_the_token_classes_and_the_per_request_fee() -> None:
    assert (*TOKEN_CLASSES, "request") == RATE_CLASSES
    assert len(set(RATE_CLASSES)) == len(RATE_CLASSES)


def test_pricing_usage_has_a_field_per_token_class_in_order() -> None:
    assert _dataclass_fields(Usage) == list(TOKEN_CLASSES)
    assert Usage(*range(len(TOKEN_CLASSES))).counts() == tuple(range(len(TOKEN_CLASSES)))


def test_pricing_rate_sets_have_a_field_per_rate_class() -> None:
    assert [n for n in _dataclass_fields(RateSet) if n != "above"] == list(RATE_CLASSES)
    assert [n for n in _dataclass_fields(PriceOverride) if n in RATE_CLASSES] == list(RATE_CLASSES)


def test_the_proxy_adapters_report_pricing_usage() -> None:
    assert typing.get_type_hints(ResponseFacts)["usage"] == Usage | None
    assert ResponseFacts(usage=Usage(input=3)).usage == Usage(input=3)


def test_the_wire_record_has_every_token_class_and_converts_each() -> None:
    assert [n for n in TokenCounts.model_fields if n != "source"] == list(TOKEN_CLASSES)
    counts = dict(zip(TOKEN_CLASSES, range(1, len(TOKEN_CLASSES) + 1), strict=True))
    assert dataclasses.asdict(TokenCounts(**counts).usage()) == counts


def test_the_api_schemas_spell_out_every_class() -> None:
    assert _model_fields(TokensOut, TOKEN_CLASSES) == list(TOKEN_CLASSES)
    assert RATE_FIELDS == RATE_CLASSES
    assert _model_fields(OverrideCreate, RATE_CLASSES) == list(RATE_CLASSES)
    assert _model_fields(OverrideOut, RATE_CLASSES) == list(RATE_CLASSES)


def test_the_price_overrides_table_has_a_column_per_rate_class() -> None:
    assert RATE_COLUMNS == RATE_CLASSES
    columns = [c.name for c in PriceOverrideRow.__table__.columns]
    assert [c for c in columns if c in RATE_CLASSES] == list(RATE_CLASSES)


@pytest.mark.parametrize("url_fixture", ["pg_url", "sqlite_url"])
def test_the_migrated_price_overrides_table_has_a_column_per_rate_class(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine = create_engine(sync_url(request.getfixturevalue(url_fixture)))
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("price_overrides")}
    finally:
        engine.dispose()
    assert set(RATE_CLASSES) <= columns
    # no rate column the vocabulary does not know (the rest are the row's bookkeeping)
    bookkeeping = {c.name for c in PriceOverrideRow.__table__.columns} - set(RATE_CLASSES)
    assert columns - set(RATE_CLASSES) == bookkeeping
