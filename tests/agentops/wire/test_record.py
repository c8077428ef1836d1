"""The call record on the wire: money travels as a string and comes back exact, an unknown cost is
never zero, the empty policy list is left out, and an unknown field is refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from agentops.wire.record import CallRecord, CostInfo, unvalidated
from tests.factories import record, wire_record


def test_cost_crosses_the_wire_as_a_string_and_comes_back_exact() -> None:
    sent = wire_record(cost="0.1000000000000000055511151231257827")
    document = json.loads(sent.model_dump_json())
    assert document["cost"]["total_usd"] == "0.1000000000000000055511151231257827"
    assert CallRecord.model_validate(document).cost.total_usd == Decimal(
        "0.1000000000000000055511151231257827"
    )


def test_an_unpriced_call_has_no_cost_and_says_why() -> None:
    unpriced = wire_record(cost=None)
    assert (unpriced.cost.total_usd, unpriced.cost.unpriced_reason) == (None, "unpriced_model")


def test_a_record_no_policy_matched_has_no_policies_key() -> None:
    assert "policies" not in json.loads(wire_record().model_dump_json())


@pytest.mark.parametrize(
    "change",
    [{"surprise": 1}, {"status": "exploded"}, {"run_source": "guessed"}, {"org": ""}],
    ids=["unknown field", "unknown status", "unknown run source", "empty org"],
)
def test_what_the_schema_does_not_know_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CallRecord.model_validate({**record(), **change})


def test_token_classes_reach_pricing_with_their_totals() -> None:
    tokens = wire_record(input_tokens=100, output_tokens=20).tokens
    assert (tokens.total, tokens.usage().input, tokens.usage().output) == (120, 100, 20)


def test_an_unvalidated_record_serialises_as_the_validated_one_and_validates_back() -> None:
    sent = wire_record(cost="0.25")
    fields = {name: getattr(sent, name) for name in CallRecord.model_fields if name != "policies"}
    built = unvalidated(CallRecord, **fields)
    assert json.loads(built.model_dump_json()) == json.loads(sent.model_dump_json())
    assert CallRecord.model_validate_json(built.model_dump_json()) == sent


def test_unvalidated_fills_defaults_with_fresh_mutable_values() -> None:
    first = unvalidated(CostInfo, unpriced_reason="not_metered")
    second = unvalidated(CostInfo, unpriced_reason="not_metered")
    first.breakdown["input"] = Decimal(1)
    assert (second.breakdown, second.total_usd, first.unpriced_reason) == ({}, None, "not_metered")
