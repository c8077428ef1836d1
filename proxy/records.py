"""Build the record of a call from its state: tokens, cost, timings. Pure.

Tokens: the provider's own usage is authoritative; without it a stream's text is counted with
``count_text`` and the input estimate from the request is used, marked ``estimated``.
Timings, all from wall-clock stamps taken by mitmproxy and our addons:

- ``latency``: first request byte from the agent -> response complete;
- ``upstream``: request handed upstream -> last response byte received (connect + provider);
- ``overhead``: ``latency - upstream - agent upload time``, i.e. what the proxy itself added;
- ``ttft``: first request byte -> first token seen in the stream.

The record is built as plain values (``RecordValues``) and serialised straight to the spool's
JSON document with orjson: building, validating and serialising a ``CallRecord`` per call was
half the record step's CPU. The values are ``CallRecord``'s own fields, in the order its
pydantic serialisation wrote them (``tests/proxy/test_records_document.py`` holds the two to
the same bytes over every record variant); ``RecordValues.model()`` is the ``CallRecord`` for
whoever needs the typed record (the OpenTelemetry export).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from agentops.wire.record import (
    RECORD_SCHEMA_VERSION,
    CallRecord,
    CallStatus,
    CostInfo,
    PolicyOutcome,
    TokenCounts,
    unvalidated,
)
from pricing import TOKEN_CLASSES, Usage, load_bundled_table, price_call
from proxy.state import CallState

CountText = Callable[[str, str | None], int]

_OPTIONS = orjson.OPT_UTC_Z  # datetimes as pydantic writes them: "...Z" for UTC
_ZERO_USAGE = Usage()
_ZERO = Decimal(0)


class RecordValues:
    """One call's record as plain values. ``fields`` maps each ``CallRecord`` field to its
    value, JSON-ready (``tokens`` and ``cost`` as dicts, money as strings, ``policies`` as
    dicts and only when some matched); ``usage`` is its token counts as pricing takes them,
    ``total_usd`` and ``breakdown`` its cost in ``Decimal``."""

    __slots__ = ("breakdown", "fields", "policies", "total_usd", "usage")

    def __init__(
        self,
        fields: dict[str, Any],
        usage: Usage,
        total_usd: Decimal | None,
        breakdown: dict[str, Decimal],
        policies: list[PolicyOutcome],
    ) -> None:
        self.fields = fields
        self.usage = usage
        self.total_usd = total_usd
        self.breakdown = breakdown
        self.policies = policies

    def document(self) -> bytes:
        """The spool's JSON document (one line, no newline)."""
        try:
            document = orjson.dumps(self.fields, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return self._odd_document()
        if _NUL in document:  # (rare) a NUL in some text: see _odd_document
            return self._odd_document()
        return document

    def _odd_document(self) -> bytes:
        """What the fast path cannot write as is. Text from outside (an upstream's error, a
        header decoded with ``surrogateescape``) may hold a lone surrogate, which no JSON
        encoder writes, or a NUL, which the control plane refuses (PostgreSQL text cannot hold
        it): either would lose the call's record, so each becomes U+FFFD. Then an integer past
        64 bits in a provider's usage, which orjson does not take: the model's own
        serialiser, as before."""
        self.fields = _clean(self.fields)
        try:
            return orjson.dumps(self.fields, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return self.model().model_dump_json().encode()

    def model(self) -> CallRecord:
        """The same record as the wire model (unvalidated: built from typed values)."""
        values = dict(self.fields)
        values["tokens"] = unvalidated(TokenCounts, **values["tokens"])
        cost = {**values["cost"], "total_usd": self.total_usd, "breakdown": self.breakdown}
        values["cost"] = unvalidated(CostInfo, **cost)
        values["policies"] = self.policies
        return unvalidated(CallRecord, **values)


_NUL = b"\\u0000"  # how orjson writes a NUL inside a string


def _clean(value: Any) -> Any:
    """``value`` with every string's NULs and lone surrogates replaced by U+FFFD."""
    if isinstance(value, str):
        if "\x00" in value or not value.isascii():
            value = value.replace("\x00", "\ufffd")
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def record_values(
    state: CallState,
    *,
    count_text: CountText,
    azure_deployments: Mapping[str, str],
    proxy_id: str | None,
    request_end: float | None,
    response_end: float | None,
    in_progress: bool = False,
) -> RecordValues:
    identity, endpoint = state.identity, state.endpoint
    assert identity is not None
    assert endpoint is not None
    facts, response = state.request, state.response
    model_requested = facts.model or endpoint.model_from_path
    status = CallStatus.IN_PROGRESS if in_progress else (state.status or CallStatus.UPSTREAM_FAILED)
    reported = response is not None and response.usage is not None
    # The prompt estimate is computed only where it informs the record: no usage reported.
    # An in-progress record never waits for it (time to first token).
    estimate = facts.known_estimate if in_progress or reported else facts.estimated_input_tokens
    if in_progress:
        tokens, usage = _estimate_only(estimate)
    else:
        tokens, usage = _tokens(state, count_text)
    if response is not None:
        model_served = response.model_served
        service_tier = response.service_tier or facts.service_tier
        error_type = response.error_type or _error_type(state)
        error_message = response.error_message or state.error_message
        parse_error = response.parse_error or facts.parse_error
        finish_reason = response.finish_reason
        tool_names = _tool_names(facts.tool_names, response.tool_names)
    else:
        model_served, service_tier, finish_reason = None, facts.service_tier, None
        error_type, error_message = _error_type(state), state.error_message
        parse_error = facts.parse_error
        tool_names = _tool_names(facts.tool_names, ())
    # The cost as JSON (money as strings), its keys in the order the model's builder left them.
    total: Decimal | None = None
    breakdown: dict[str, Decimal] = {}
    if not endpoint.metered:
        cost: dict[str, Any] = {
            "unpriced_reason": "not_metered",
            "total_usd": None,
            "breakdown": {},
            "price_version": None,
            "priced_model": None,
        }
    elif not in_progress and _not_billed(state, status, reported):
        # Providers bill neither a request we refused before forwarding nor one they answered
        # with an error and no usage: an exact zero, not an estimate of the prompt.
        tokens, usage = _none()
        total = _ZERO
        cost = {
            "total_usd": "0",
            "price_version": load_bundled_table().version,
            "breakdown": {},
            "priced_model": None,
            "unpriced_reason": None,
        }
    elif in_progress and estimate is None:  # (nearly every in-progress record) no usage yet
        cost = _nothing_priced(
            model_served or state.routed_to or model_requested,
            endpoint.provider,
            service_tier,
            azure_deployments,
        )
    else:
        priced = price_call(
            model_served or state.routed_to or model_requested,  # priced as served
            usage,
            provider=endpoint.provider,
            service_tier=service_tier,
            azure_deployments=azure_deployments,
        )
        total, breakdown = priced.total_usd, priced.breakdown
        cost = {
            "total_usd": None if total is None else str(total),
            "breakdown": {name: str(amount) for name, amount in breakdown.items()},
            "price_version": priced.price_version,
            "priced_model": priced.priced_model,
            "unpriced_reason": priced.unpriced_reason,
        }
    # Timings in ms, rounded to the microsecond.
    t_start, t_done = state.t_start, state.t_done
    ttft = None if state.t_first_token is None else _ms(state.t_first_token - t_start)
    if in_progress:
        ended_at = latency = upstream = overhead = None
    else:
        ended_at = None if t_done is None else datetime.fromtimestamp(t_done, UTC)
        latency = None if t_done is None else _ms(t_done - t_start)
        sent, end = state.t_sent, response_end or t_done
        upstream = None if sent is None or end is None else _ms(end - sent)
        upload = (0.0 if request_end is None else _ms(request_end - t_start)) or 0.0
        overhead = (
            None
            if latency is None or upstream is None
            else max(0.0, round(latency - upstream - upload, 3))
        )
    # The order of CallRecord's pydantic serialisation of the record it built (the spool's
    # documents are the same bytes as they were).
    fields: dict[str, Any] = {
        "call_id": state.call_id,
        "org": identity.org,
        "agent": identity.agent,
        "run_id": identity.run_id,
        "run_source": identity.run_source,
        "tags": identity.tags,
        "api_key_id": identity.key_id,
        "proxy_id": proxy_id,
        "provider": endpoint.provider,
        "endpoint": endpoint.name,
        "method": state.method,
        "host": state.host,
        "path": state.path,
        "metered": endpoint.metered,
        "model_requested": model_requested,
        "model_served": model_served,
        "streamed": state.meter is not None,
        "service_tier": service_tier,
        "status": status,
        "http_status": state.http_status,
        "error_type": error_type,
        "error_message": error_message,
        "parse_error": parse_error,
        "tokens": tokens,
        "estimated_input_tokens": estimate,
        "cost": cost,
        "started_at": state.started_at,
        "ended_at": ended_at,
        "latency_ms": latency,
        "ttft_ms": ttft,
        "upstream_ms": upstream,
        "overhead_ms": overhead,
        "request_bytes": state.request_bytes,
        "response_bytes": state.response_bytes,
        "tool_names": tool_names,
        "finish_reason": finish_reason,
        "refusal_reason": state.refusal_reason,
    }
    policies = state.policies
    if policies:  # left out when empty (``exclude_if`` of the model)
        fields["policies"] = [p.model_dump(mode="json") for p in policies]
    fields["schema_version"] = RECORD_SCHEMA_VERSION
    fields["prompt"] = None
    fields["completion"] = None
    return RecordValues(fields, usage, total, breakdown, policies)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _tool_names(requested: list[str], answered: list[str] | tuple[()]) -> list[str]:
    if not requested and not answered:
        return []
    return sorted(set(requested) | set(answered))


def _not_billed(state: CallState, status: CallStatus, reported: bool) -> bool:
    if status == CallStatus.REFUSED:
        return state.meter is None and not reported  # refused by the gate, never forwarded
    return status == CallStatus.ERROR and not reported


# Token counts as the record's ``tokens`` and as pricing takes them. The classes not counted
# come after the ones given (the order the model's builder left them).
Tokens = tuple[dict[str, Any], Usage]
_AFTER_INPUT = dict.fromkeys(TOKEN_CLASSES[1:], 0)
_AFTER_OUTPUT = dict.fromkeys(TOKEN_CLASSES[2:], 0)
_NONE: dict[str, Any] = {"source": "none", **dict.fromkeys(TOKEN_CLASSES, 0)}


def _tokens(state: CallState, count_text: CountText) -> Tokens:
    response = state.response
    if response is not None and response.usage is not None:
        usage = response.usage
        tokens: dict[str, Any] = dict(zip(TOKEN_CLASSES, usage.counts(), strict=True))
        tokens["source"] = "estimated" if response.usage_estimated else "reported"
        return tokens, usage
    if state.meter is not None:
        prompt = state.request.estimated_input_tokens or 0
        output = count_text(state.meter.output_text(), state.request.model)
        counted = {"input": prompt, "output": output, "source": "estimated", **_AFTER_OUTPUT}
        return counted, Usage(input=prompt, output=output)
    return _estimate_only(state.request.estimated_input_tokens)


# price_call's answer to no usage, by (model as the table resolves it, provider, tier).
_NOTHING: dict[tuple[str | None, str, str | None], tuple[str, str | None, str | None]] = {}


def _nothing_priced(
    model: str | None, provider: str, tier: str | None, azure: Mapping[str, str]
) -> dict[str, Any]:
    """The cost of a record without usage, as ``price_call`` writes it (total None, nothing
    broken down): only the table's version, the model's entry and why it is unpriced vary,
    and only with the model, so each model's is priced once."""
    key = (azure.get(model, model) if azure and model else model, provider, tier)
    known = _NOTHING.get(key)
    if known is None:
        priced = price_call(
            model, _ZERO_USAGE, provider=provider, service_tier=tier, azure_deployments=azure
        )
        known = (priced.price_version, priced.priced_model, priced.unpriced_reason)
        if len(_NOTHING) >= 1024:
            _NOTHING.clear()
        _NOTHING[key] = known
    version, priced_model, unpriced_reason = known
    return {
        "total_usd": None,
        "breakdown": {},
        "price_version": version,
        "priced_model": priced_model,
        "unpriced_reason": unpriced_reason,
    }


def _estimate_only(estimate: int | None) -> Tokens:
    if estimate is None:
        return _none()
    return {"input": estimate, "source": "estimated", **_AFTER_INPUT}, Usage(input=estimate)


def _none() -> Tokens:
    return dict(_NONE), _ZERO_USAGE


def _error_type(state: CallState) -> str | None:
    if state.status == CallStatus.ERROR and state.http_status is not None:
        return f"http_{state.http_status}"
    return None
