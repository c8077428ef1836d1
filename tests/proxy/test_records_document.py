"""The spooled record document, serialised straight from plain values: byte for byte what the
pydantic path (``CallRecord.model_dump_json``) wrote, over a corpus of every record variant
(``tests/proxy/record_corpus.py``), and tied to the wire model field by field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from agentops.wire.record import CallRecord, CallStatus, CostInfo, PolicyOutcome, TokenCounts
from pricing import Usage
from tests.proxy.record_corpus import Case, Observer, answered, chat, documents, golden, run_case

OBSERVED = Observer()


@pytest.fixture(scope="module")
def written() -> dict[str, bytes]:
    from mitmproxy.test import taddons

    with taddons.context():  # type: ignore[no-untyped-call]
        return documents(OBSERVED)


def test_every_document_is_byte_identical_to_the_pydantic_paths(
    written: dict[str, bytes],
) -> None:
    expected = golden()
    assert sorted(written) == sorted(expected)
    for name, document in written.items():
        assert document == expected[name], name


def test_every_document_is_a_valid_wire_record_that_serialises_back_the_same(
    written: dict[str, bytes],
) -> None:
    for name, document in written.items():
        parsed = CallRecord.model_validate_json(document)
        again = json.loads(parsed.model_dump_json())
        assert again == json.loads(document), name


def _non_default(model: type[BaseModel], values: dict[str, Any], seen: set[str]) -> None:
    for name, info in model.model_fields.items():
        if name not in values:
            continue
        default = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
        if values[name] != default and values[name] is not None:
            seen.add(f"{model.__name__}.{name}")


def test_the_corpus_covers_every_field_of_the_model_and_every_status(
    written: dict[str, bytes],
) -> None:
    seen: set[str] = set()
    statuses: set[str] = set()
    for document in written.values():
        values = json.loads(document)
        assert set(values) <= set(CallRecord.model_fields), "a key the model does not have"
        missing = set(CallRecord.model_fields) - set(values)
        assert missing <= {"policies"}, missing  # left out only when empty
        _non_default(CallRecord, values, seen)
        _non_default(TokenCounts, values["tokens"], seen)
        _non_default(CostInfo, values["cost"], seen)
        for policy in values.get("policies", []):
            _non_default(PolicyOutcome, policy, seen)
        statuses.add(values["status"])
    fields = {f"CallRecord.{n}" for n in CallRecord.model_fields} - {"CallRecord.schema_version"}
    for model in (TokenCounts, CostInfo, PolicyOutcome):
        fields |= {f"{model.__name__}.{n}" for n in model.model_fields}
    # Values whose default is itself a variant the corpus has (reported tokens, an enforced
    # policy that applied); the schema version is a constant.
    fields -= {"TokenCounts.source", "PolicyOutcome.mode", "PolicyOutcome.applied"}
    assert fields - seen == set()
    # interrupted: written by the open-call journal at restart, from an in_progress document
    assert statuses == {s.value for s in CallStatus} - {"interrupted"}


def test_the_observer_gets_the_record_as_the_model_with_the_same_values(
    written: dict[str, bytes],
) -> None:
    finals = [d for name, d in written.items() if not name.endswith(".in_progress")]
    assert len(OBSERVED.records) == len(finals)
    for record, document in zip(OBSERVED.records, finals, strict=True):
        assert record.model_dump_json().encode() == document
        assert record == CallRecord.model_validate_json(document)


def test_counts_past_64_bits_are_written_as_the_model_writes_them() -> None:
    from mitmproxy.test import taddons

    huge = Case("json-huge", body=chat(), setup=answered(Usage(input=2**70, output=1)))
    observer = Observer()
    with taddons.context():  # type: ignore[no-untyped-call]
        [(_, document)] = run_case(huge, 99, observer)
    assert json.loads(document)["tokens"]["input"] == 2**70
    assert document == observer.records[0].model_dump_json().encode()


@pytest.mark.parametrize(
    ("model", "provider", "tier", "azure"),
    [
        ("gpt-4o", "openai", None, {}),
        ("gpt-4o-2024-08-06", "openai", "priority", {}),
        ("no-such-model", "openai", None, {}),
        (None, "openai", None, {}),
        ("prod-chat", "azure", None, {"prod-chat": "gpt-4o-mini"}),
        ("claude-sonnet-4-5", "anthropic", None, {}),
    ],
)
def test_an_in_progress_cost_without_usage_is_what_pricing_writes(
    model: str | None, provider: str, tier: str | None, azure: dict[str, str]
) -> None:
    """An in-progress record's cost before its prompt estimate is kept per model; it is what
    ``price_call`` gives for no usage, the first time and from the cache."""
    from pricing import price_call
    from proxy.records import _nothing_priced

    priced = price_call(
        model, Usage(), provider=provider, service_tier=tier, azure_deployments=azure
    )
    expected = {
        "total_usd": None,
        "breakdown": {},
        "price_version": priced.price_version,
        "priced_model": priced.priced_model,
        "unpriced_reason": priced.unpriced_reason,
    }
    assert priced.total_usd is None
    assert _nothing_priced(model, provider, tier, azure) == expected
    assert _nothing_priced(model, provider, tier, azure) == expected
