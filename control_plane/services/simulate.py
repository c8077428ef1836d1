"""Replay an org's stored calls through draft policies: what would have been denied, held,
redacted or rerouted, per agent and team, and the dollars involved.

Each (agent, team, provider, endpoint, model) group of calls is first judged on the conditions
that depend only on those (scope, provider, endpoint, model globs): groups no policy can match
are never read call by call, and when every policy that can match a group is judged by those
conditions alone, the group is decided once for all its calls. Only groups where a per-call
condition matters (time window, request size, tools, cost, content, calls or tokens per run)
are replayed call by call; each call comes with its place in its run, counted in SQL (window
functions over the run's calls in time order), as the proxy's run counters would have had it.
The folding is ``policies.fold``, the very one the proxy uses.

What the store cannot show is reported, not guessed: ``max_tokens`` is not stored (a
``max_tokens_over`` condition counts every call as over), prompt content only where capture
was on, a call's estimated cost is its recorded cost, a run's tokens are its calls' recorded
input tokens (the proxy counts its estimate), a run begun before the window is counted from
the window's start, and runaway loops (repeated prompts or tool calls) are not replayed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from control_plane.store.simulate import CallGroup, CallRow, call_groups, call_minutes, call_rows
from control_plane.store.types import AsyncSession
from policies import Facts, Policy, PolicySet, RunFacts, compile_policies, evaluate, fold
from pricing import estimate_worst_case_cost

ACTIONS = ("denied", "held", "redacted", "rerouted", "rate_limited", "alerted")


@dataclass
class Tally:
    calls: int = 0
    cost_usd: Decimal = Decimal(0)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    dollars: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(ACTIONS, Decimal(0)))
    unpriced: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    rerouted_cost_at_new_model_usd: Decimal = Decimal(0)
    would_have: dict[str, int] = field(default_factory=dict)  # shadow/outranked policy -> calls


@dataclass
class Simulation:
    calls_scanned: int = 0
    calls_replayed_one_by_one: int = 0
    minutes_replayed: int = 0  # (group, minute) sums judged for time windows
    by_agent: dict[tuple[str, str | None], Tally] = field(default_factory=dict)
    limitations: list[str] = field(default_factory=list)


async def simulate(
    session: AsyncSession,
    org_id: uuid.UUID,
    drafts: list[Policy],
    since: datetime,
    until: datetime,
) -> Simulation:
    documents = [{"id": p.name, **p.model_dump(mode="json")} for p in drafts]
    policies = compile_policies(documents)
    result = Simulation(limitations=_limitations(drafts))
    per_call: list[CallGroup] = []
    per_minute: list[CallGroup] = []  # only time windows are per call: summed per minute in SQL
    for group in await call_groups(session, org_id, since, until):
        result.calls_scanned += group.calls
        tally = _tally(result, group)
        tally.calls += group.calls
        tally.cost_usd += group.cost_usd
        candidates = policies.candidates(_facts(group))
        if not candidates:
            continue
        if all(_static_only(c.policy) for c, _ in candidates):
            _count(tally, policies, _facts(group), group.calls, group.cost_usd, group.unpriced,
                   (group.input_tokens, group.output_tokens), group)  # fmt: skip
        elif all(_windowed(c.policy) for c, _ in candidates):
            per_minute.append(group)
        else:
            per_call.append(group)
    async for group, bucket in call_minutes(session, org_id, since, until, per_minute):
        result.minutes_replayed += 1
        facts = replace(_facts(group), now=bucket.minute)
        _count(_tally(result, group), policies, facts, bucket.calls, bucket.cost_usd,
               bucket.unpriced, (bucket.input_tokens, bucket.output_tokens), group)  # fmt: skip
    reads_record = any(_reads_record(p) for p in drafts)
    reads_run = any(p.when.reads_run for p in drafts)
    rows = call_rows(
        session, org_id, since, until, per_call, with_record=reads_record, with_run=reads_run
    )
    async for group, row in rows:
        result.calls_replayed_one_by_one += 1
        facts = _facts(group, row)
        unpriced = 1 if row.cost_usd is None else 0
        _count(_tally(result, group), policies, facts, 1, row.cost_usd or Decimal(0), unpriced,
               (row.input_tokens, row.output_tokens), group)  # fmt: skip
    return result


def _tally(result: Simulation, group: CallGroup) -> Tally:
    key = (group.agent, group.team)
    if key not in result.by_agent:
        result.by_agent[key] = Tally()
    return result.by_agent[key]


def _static_only(policy: Policy) -> bool:
    w = policy.when
    dynamic = (w.request_bytes_over, w.estimated_cost_over_usd, w.max_tokens_over, w.time_window)
    per_call = w.tools or w.detectors or w.patterns or w.reads_run
    return all(v is None for v in dynamic) and not per_call


def _windowed(policy: Policy) -> bool:
    """Only a time window is judged per call (its bounds are whole minutes)."""
    w = policy.when
    rest = (w.request_bytes_over, w.estimated_cost_over_usd, w.max_tokens_over)
    return all(v is None for v in rest) and not (
        w.tools or w.detectors or w.patterns or w.reads_run
    )


def _reads_record(policy: Policy) -> bool:
    w = policy.when
    return w.request_bytes_over is not None or bool(w.tools or w.detectors or w.patterns)


def _facts(group: CallGroup, row: CallRow | None = None) -> Facts:
    record: dict[str, Any] = row.record if row is not None else {}
    prompt = record.get("prompt")
    body = {
        "tools": [{"name": t} for t in record.get("tool_names") or []],
        "messages": [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [],
    }
    cost = row.cost_usd if row is not None else None
    run = None
    if row is not None and row.run_calls:
        run = RunFacts(row.run_calls, row.run_tokens, context_tokens=row.input_tokens)
    return Facts(
        provider=group.provider,
        endpoint=group.endpoint,
        model=group.model,
        agent=group.agent,
        team=group.team,
        tags=group.tags,
        environment=group.environment,
        request_bytes=int(record.get("request_bytes") or 0),
        max_tokens=None,
        now=row.started_at if row is not None else None,
        body=lambda: body,
        estimated_cost=lambda: cost,
        run=run,
    )


def _count(
    tally: Tally,
    policies: PolicySet,
    facts: Facts,
    calls: int,
    cost: Decimal,
    unpriced: int,
    tokens: tuple[int, int],
    group: CallGroup,
) -> None:
    hits = evaluate(policies, facts)
    if not hits:
        return
    outcome = fold(hits)
    affected: list[str] = []
    if outcome.final is not None:
        held = outcome.final.action == "require_approval"
        affected.append("held" if held else "denied")  # deny, or pause_run
    else:
        if outcome.redact:
            affected.append("redacted")
        if outcome.route_to is not None:
            affected.append("rerouted")
            at_new = estimate_worst_case_cost(outcome.route_to, *tokens, provider=group.provider)
            tally.rerouted_cost_at_new_model_usd += at_new or Decimal(0)
        if outcome.rate_limits:
            affected.append("rate_limited")  # matched: how many would be refused depends on pace
    for hit, applied in zip(hits, outcome.applied, strict=True):
        if hit.action == "alert" and applied:
            affected.append("alerted")
        if not applied:
            tally.would_have[hit.name] = tally.would_have.get(hit.name, 0) + calls
    for action in affected:
        tally.counts[action] += calls
        tally.dollars[action] += cost
        tally.unpriced[action] += unpriced


def _limitations(drafts: list[Policy]) -> list[str]:
    notes = []
    if any(p.when.max_tokens_over is not None for p in drafts):
        notes.append("max_tokens is not stored: max_tokens_over counts every call as over")
    if any(p.when.detectors or p.when.patterns for p in drafts):
        notes.append("content conditions see only prompts captured with capture_content on")
    if any(p.when.estimated_cost_over_usd is not None for p in drafts):
        notes.append("estimated_cost_over_usd is judged on each call's recorded cost")
    if any(p.when.reads_run for p in drafts):
        notes.append("calls and tokens per run count from the window's start; tokens are the "
                     "recorded input tokens")  # fmt: skip
    if any(p.when.loop is not None for p in drafts):
        notes.append("runaway loops (repeated prompts or tool calls) are not replayed: no match")
    if any(p.action == "rate_limit" for p in drafts):
        notes.append("rate_limited counts the calls a limit covers, not how many it would refuse")
    return notes
