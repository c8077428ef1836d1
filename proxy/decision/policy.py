"""What the policies in force make of a call (pure): the matches folded into a ``Decision``.

The folding rules live in ``policies.applied`` (shared with the simulation); here they become
the call's ``Decision``: a deny is a 403 naming the policy, a require_approval a hold, and
every match is kept in ``matched`` (shadow ones as what they would have done).
"""

from __future__ import annotations

import math
from decimal import Decimal

from policies import Detector, Facts, Hit, PolicySet, evaluate, fold
from proxy.decision.budgets import worst_case
from proxy.decision.kills import AgentProfile
from proxy.decision.types import ALLOW, Call, Decision, Match, RateTake, refuse


def facts_of(call: Call, who: AgentProfile) -> Facts:
    def cost() -> Decimal | None:
        return worst_case(call, call.model)

    return Facts(
        provider=call.provider,
        endpoint=call.endpoint,
        model=call.model,
        agent=call.agent,
        team=who.team,
        tags=who.tags,
        environment=who.environment,
        api_key=call.key_id,
        request_bytes=call.request_bytes,
        max_tokens=call.max_output_tokens,
        now=call.now,
        body=call.body,
        estimated_cost=cost,
        run=call.run,
    )


def policy_decision(policies: PolicySet, call: Call, who: AgentProfile) -> Decision:
    if not policies:
        return ALLOW
    hits = evaluate(policies, facts_of(call, who))
    if not hits:
        return ALLOW
    folded = fold(hits)
    matched = tuple(
        Match("policy", h.policy_id, h.reason, h.name, h.action, applied=a, mode=h.mode)
        for h, a in zip(hits, folded.applied, strict=True)
    )
    route_to, redact = folded.route_to, folded.redact
    if folded.final is not None:
        return _final(folded.final, matched, route_to, redact)
    takes = [take for hit in folded.rate_limits for take in rate_takes(hit, call, who)]
    return Decision(
        matched=matched,
        route_to=route_to,
        redact=redact,
        rate_limits=tuple(takes),
    )


def rate_takes(hit: Hit, call: Call, who: AgentProfile) -> list[RateTake]:
    """What the call takes from a rate-limit policy: one request, and its tokens (the prompt
    estimate plus every output token it may generate, as known before the call)."""
    limit = hit.limit
    if limit is None:
        return []
    whose = {
        "org": "org",
        "team": f"team:{who.team or '-'}",
        "agent": f"agent:{call.agent}",
        "api_key": f"key:{call.key_id or '-'}",
    }[limit.per]
    key = f"{call.org}:{hit.policy_id}:{whose}"
    takes = []
    if limit.requests_per_minute is not None:
        takes.append(
            RateTake(
                hit.policy_id, hit.name, f"{key}:req", limit.requests_per_minute, 1, "requests"
            )
        )
    if limit.tokens_per_minute is not None:
        tokens = (call.estimated_input_tokens or 0) + (call.max_output_tokens or 0) * call.choices
        takes.append(
            RateTake(
                hit.policy_id, hit.name, f"{key}:tok", limit.tokens_per_minute, tokens, "tokens"
            )
        )
    return takes


def _final(
    hit: Hit,
    matched: tuple[Match, ...],
    route_to: str | None,
    redact: tuple[Detector, ...],
) -> Decision:
    why = hit.message or hit.reason
    if hit.action == "pause_run":
        return Decision(
            action="refuse",
            status=403,
            code="run_paused",
            message=f"Policy {hit.name!r} paused this run for {hit.pause_seconds}s: {why}; "
            f"the run's calls are refused until then, other runs go on "
            f"(reference {hit.policy_id}).",
            reference=hit.policy_id,
            reason=f"policy:{hit.name}",
            matched=matched,
            pause_run_seconds=hit.pause_seconds,
        )
    if hit.action == "deny":
        return Decision(
            action="refuse",
            status=403,
            code="policy_denied",
            message=f"Policy {hit.name!r} denied this call: {why} (reference {hit.policy_id}).",
            reference=hit.policy_id,
            reason=f"policy:{hit.name}",
            matched=matched,
        )
    return Decision(
        action="hold",
        status=403,
        code="approval_required",
        message=f"Policy {hit.name!r} requires an approval for this call: {why} "
        f"(reference {hit.policy_id}).",
        reference=hit.policy_id,
        reason=f"policy:{hit.name}",
        matched=matched,
        route_to=route_to,
        redact=redact,
        hold_seconds=hit.approval_timeout_seconds,  # None: the proxy's approval_timeout_seconds
    )


def rate_refusal(take: RateTake, retry_after_ms: int) -> Decision:
    """429 in the provider's shape, with Retry-After: the limit, whose it is, when to retry."""
    if take.cost > take.per_minute:
        detail = f"this call alone needs {take.cost} {take.unit}, more than the limit allows"
    else:
        detail = f"retry in {max(1, math.ceil(retry_after_ms / 1000))}s"
    return refuse(
        429,
        "rate_limited",
        f"Rate limit {take.name!r} ({take.per_minute} {take.unit} per minute) refused this "
        f"call: {detail} (reference {take.policy_id}).",
        kind="policy",
        reference=take.policy_id,
        reason=f"rate_limit:{take.name}",
        retry_after_seconds=max(1, math.ceil(retry_after_ms / 1000)),
    )


def run_paused(call: Call, why: str) -> Decision:
    """A call of a run a ``pause_run`` policy paused (``why``: what the pause recorded)."""
    return refuse(
        403,
        "run_paused",
        f"Run {call.run_id!r} of agent {call.agent!r} is paused: {why}. Other runs go on.",
        kind="run",
        reference=f"run:{call.run_id}",
    )
