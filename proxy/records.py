"""Build the ``CallRecord`` of a call from its state: tokens, cost, timings. Pure.

Tokens: the provider's own usage is authoritative; without it a stream's text is counted with
``count_text`` and the input estimate from the request is used, marked ``estimated``.
Timings, all from wall-clock stamps taken by mitmproxy and our addons:

- ``latency``: first request byte from the agent -> response complete;
- ``upstream``: request handed upstream -> last response byte received (connect + provider);
- ``overhead``: ``latency - upstream - agent upload time``, i.e. what the proxy itself added;
- ``ttft``: first request byte -> first token seen in the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from agentops.wire.record import CallRecord, CallStatus, CostInfo, TokenCounts, unvalidated
from pricing import TOKEN_CLASSES, Usage, load_bundled_table, price_call
from proxy.state import CallState

CountText = Callable[[str, str | None], int]


def build_record(
    state: CallState,
    *,
    count_text: CountText,
    azure_deployments: Mapping[str, str],
    proxy_id: str | None,
    request_end: float | None,
    response_end: float | None,
    in_progress: bool = False,
) -> CallRecord:
    assert state.identity is not None
    assert state.endpoint is not None
    endpoint, facts, response = state.endpoint, state.request, state.response
    model_requested = facts.model or endpoint.model_from_path
    model_served = response.model_served if response else None
    status = CallStatus.IN_PROGRESS if in_progress else (state.status or CallStatus.UPSTREAM_FAILED)
    reported = response is not None and response.usage is not None
    # The prompt estimate is computed only where it informs the record: no usage reported.
    # An in-progress record never waits for it (time to first token).
    estimate = facts.known_estimate if in_progress or reported else facts.estimated_input_tokens
    tokens = _tokens(state, count_text) if not in_progress else _estimate_only(estimate)
    service_tier = (response.service_tier if response else None) or facts.service_tier
    if not endpoint.metered:
        cost = unvalidated(CostInfo, unpriced_reason="not_metered")
    elif not in_progress and _not_billed(state, status):
        # Providers bill neither a request we refused before forwarding nor one they answered
        # with an error and no usage: an exact zero, not an estimate of the prompt.
        tokens = unvalidated(TokenCounts, source="none")
        cost = unvalidated(
            CostInfo, total_usd=Decimal(0), price_version=load_bundled_table().version
        )
    else:
        cost = _cost(
            model_served or state.routed_to or model_requested,  # priced as served
            record_usage(state, tokens, in_progress=in_progress),
            endpoint.provider,
            service_tier,
            azure_deployments,
        )
    latency, ttft, upstream, overhead = _timings(state, request_end, response_end, in_progress)
    # Unvalidated: every value is typed and bounded here (identity names by ``identity_rules``,
    # token counts non-negative by ``Usage``); validating them again was ~2% of the proxy's CPU.
    return unvalidated(
        CallRecord,
        call_id=state.call_id,
        org=state.identity.org,
        agent=state.identity.agent,
        run_id=state.identity.run_id,
        run_source=state.identity.run_source,
        tags=dict(state.identity.tags),
        api_key_id=state.identity.key_id,
        proxy_id=proxy_id,
        provider=endpoint.provider,
        endpoint=endpoint.name,
        method=state.method,
        host=state.host,
        path=state.path,
        metered=endpoint.metered,
        model_requested=model_requested,
        model_served=model_served,
        streamed=state.meter is not None,
        service_tier=service_tier,
        status=status,
        http_status=state.http_status,
        error_type=(response.error_type if response else None) or _error_type(state),
        error_message=(response.error_message if response else None) or state.error_message,
        parse_error=(response.parse_error if response else None) or facts.parse_error,
        tokens=tokens,
        estimated_input_tokens=estimate,
        cost=cost,
        started_at=state.started_at,
        ended_at=_at(state.t_done) if not in_progress else None,
        latency_ms=latency,
        ttft_ms=ttft,
        upstream_ms=upstream,
        overhead_ms=overhead,
        request_bytes=state.request_bytes,
        response_bytes=state.response_bytes,
        tool_names=sorted(set(facts.tool_names) | set(response.tool_names if response else ())),
        finish_reason=response.finish_reason if response else None,
        refusal_reason=state.refusal_reason,
        policies=state.policies,
    )


def _not_billed(state: CallState, status: CallStatus) -> bool:
    reported = state.response is not None and state.response.usage is not None
    if status == CallStatus.REFUSED:
        return state.meter is None and not reported  # refused by the gate, never forwarded
    return status == CallStatus.ERROR and not reported


def _tokens(state: CallState, count_text: CountText) -> TokenCounts:
    response = state.response
    if response is not None and response.usage is not None:
        source = "estimated" if response.usage_estimated else "reported"
        usage = response.usage  # field by field: ``asdict`` deep-copies (5 us per record)
        counts = {name: getattr(usage, name) for name in TOKEN_CLASSES}
        return unvalidated(TokenCounts, **counts, source=source)
    if state.meter is not None:
        output = count_text(state.meter.output_text(), state.request.model)
        return unvalidated(
            TokenCounts,
            input=state.request.estimated_input_tokens or 0,
            output=output,
            source="estimated",
        )
    return _estimate_only(state.request.estimated_input_tokens)


def _estimate_only(estimate: int | None) -> TokenCounts:
    if estimate is None:
        return unvalidated(TokenCounts, source="none")
    return unvalidated(TokenCounts, input=estimate, source="estimated")


def record_usage(state: CallState, tokens: TokenCounts, *, in_progress: bool) -> Usage:
    """The token classes of a record's ``tokens`` as pricing takes them: the provider's own
    ``Usage`` when the record's counts were copied from it (no second object built)."""
    response = state.response
    if not in_progress and response is not None and response.usage is not None:
        return response.usage
    return tokens.usage()


def _cost(
    model: str | None,
    usage: Usage,
    provider: str,
    service_tier: str | None,
    azure_deployments: Mapping[str, str],
) -> CostInfo:
    cost = price_call(
        model,
        usage,
        provider=provider,
        service_tier=service_tier,
        azure_deployments=azure_deployments,
    )
    return unvalidated(
        CostInfo,
        total_usd=cost.total_usd,
        breakdown=dict(cost.breakdown),
        price_version=cost.price_version,
        priced_model=cost.priced_model,
        unpriced_reason=cost.unpriced_reason,
    )


def _error_type(state: CallState) -> str | None:
    if state.status == CallStatus.ERROR and state.http_status is not None:
        return f"http_{state.http_status}"
    return None


def _timings(
    state: CallState, request_end: float | None, response_end: float | None, in_progress: bool
) -> tuple[float | None, float | None, float | None, float | None]:
    """(latency, ttft, upstream, overhead) in ms."""

    def ms(start: float | None, end: float | None) -> float | None:
        return None if start is None or end is None else round((end - start) * 1000, 3)

    ttft = ms(state.t_start, state.t_first_token)
    if in_progress:
        return None, ttft, None, None
    latency = ms(state.t_start, state.t_done)
    upstream = ms(state.t_sent, response_end or state.t_done)
    upload = ms(state.t_start, request_end) or 0.0
    overhead = None
    if latency is not None and upstream is not None:
        overhead = max(0.0, round(latency - upstream - upload, 3))
    return latency, ttft, upstream, overhead


def _at(stamp: float | None) -> datetime | None:
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC)
