"""The gate the proxy's ``gate`` addon asks: ``decide`` from memory, then take its holds.

``decide`` (pure, ``proxy/decision``) answers from the held snapshot. When the answer names hard
budgets to hold, this gate holds the call's worst case on the shared spend counters (Redis
scripts, or their in-memory twin), behind a circuit breaker and tight timeouts, so a slow or dead
Redis costs an agent's call at most one timeout and then nothing while the breaker is open;
``settings.budget_fail_mode`` decides what an unreachable counter means. It owns holds and
counters (spend holds, rate limits, the run counters run conditions read: ``runs.py``) and
nothing else.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from agentops.settings import ProxySettings
from agentops.statebus import (
    CounterUnavailable,
    HoldRequest,
    RateLimiter,
    Reservation,
    RunCounters,
    SpendCounters,
)
from agentops.tasks import TaskSet
from agentops.wire.control import BudgetRule, ControlSnapshot
from policies import EMPTY, PolicySet, compile_policies
from proxy.control import holding
from proxy.control.approvals import ApprovalDesk
from proxy.control.breaker import CircuitBreaker
from proxy.control.health import StateHealth, assess_holder
from proxy.control.held import HeldBudget
from proxy.control.holder import ControlStateHolder
from proxy.control.metrics import BREAKER_OPEN, BUDGET_COUNTER_FAILURES, POLICY_INVALID
from proxy.control.runs import pause_reason, run_key, with_run
from proxy.decision import ALLOW, Call, Decision, decide, should_cut_stream
from proxy.decision.budgets import (
    budget_refusal,
    budget_unavailable,
    counter_period,
    held_output_cap,
    matching_budgets,
)
from proxy.decision.kills import profile
from proxy.decision.policy import rate_refusal
from proxy.decision.types import RateTake

log = logging.getLogger(__name__)


def no_approver(decision: Decision) -> Decision:
    """A held call on a gate that cannot wait for approvals: refused, as a timeout would be."""
    return dataclasses.replace(
        decision,
        action="refuse",
        message=decision.message + " No approval can reach this proxy, so it is refused.",
    )


@dataclass(frozen=True)
class BudgetHold:
    budget_id: str
    period_key: str


@dataclass(frozen=True)
class BudgetReservation:
    """What ``reserve_budget`` returns and ``settle``/``release`` take back."""

    decision: Decision
    hold_id: str
    holds: tuple[BudgetHold, ...] = ()
    # The most a stream may run up before a run or agent budget it holds is exhausted:
    # its own hold plus what that budget had left after it, and that budget.
    stream_limit_usd: Decimal | None = None
    stream_rule: BudgetRule | None = None


class StreamCuts:
    """The gate's ``stream_cut`` (``proxy.meter.StreamCut``): asked by a stream when its
    response headers arrive and again after each snapshot the holder applies (``generation``)."""

    def __init__(self, holder: ControlStateHolder) -> None:
        self._holder = holder
        self.generation = 0
        holder.add_listener(self._applied)

    def _applied(self, _snapshot: ControlSnapshot) -> None:
        self.generation += 1  # after the holder stored it: whoever sees this asks the new state

    def __call__(self, org: str, agent: str, key_id: str | None) -> tuple[str, str] | None:
        """(message, code) when a kill (of the agent or of the API key it came with) must cut
        the caller's live streams."""
        verdict = should_cut_stream(self._holder.get(org), org=org, agent=agent, key_id=key_id)
        return None if verdict is None else (verdict.message, verdict.code)


class ControlGate:
    def __init__(
        self,
        holder: ControlStateHolder,
        settings: ProxySettings,
        counters: SpendCounters | None = None,
        *,
        breaker: CircuitBreaker | None = None,
        limiter: RateLimiter | None = None,
        approvals: ApprovalDesk | None = None,
        runs: RunCounters | None = None,
        hold_ttl_seconds: float = 600.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``hold_ttl_seconds`` bounds how long a crashed call's hold counts: longer than the
        longest expected call (streams included), short enough to free a budget soon after."""
        self._holder = holder
        self._settings = settings
        self._counters = counters
        self._breaker = breaker or CircuitBreaker()
        self._limiter = limiter
        self._runs = runs  # None: run conditions never hold (no counters to read them from)
        self.approvals = approvals  # None: a held call is refused (nobody can approve it)
        self._ttl = hold_ttl_seconds
        self._now = now
        self.settlements = TaskSet("budget-settlements")  # closed by close()
        self._compiled: dict[str, tuple[int, PolicySet]] = {}  # org -> (version, policies)
        self.stream_cut = StreamCuts(holder)

    def health(self) -> StateHealth:
        """Readiness and staleness of the control state (for /readyz and for ``decide``)."""
        return assess_holder(self._holder.ready, self._holder.age_seconds(), self._settings)

    async def decide(self, call: Call) -> Decision:
        """The decision for ``call``; an allowed one carries its budget holds (``budget``)."""
        state = self._holder.get(call.org)
        policies = self.policies(state)
        if policies.reads_runs:
            call = await self._with_run(state, call, policies)
        decision = decide(
            state,
            call,
            health=self.health(),
            count_budgets=self._counters is not None,
            policies=policies,
        )
        if decision.pause_run_seconds is not None:
            await self._pause(call, decision)
        if decision.action == "hold":
            decision = await self._hold(state, call, decision)
        if not decision.allowed:
            return decision
        for take in decision.rate_limits:
            refusal = await self._take(take)
            if refusal is not None:
                return dataclasses.replace(refusal, matched=decision.matched + refusal.matched)
        if not decision.holds:
            return decision
        estimate = decision.worst_case_usd or Decimal(0)
        cap = held_output_cap(call, decision.route_to or call.model)
        reservation = await self._reserve(decision.holds, call.run_id, estimate, call.call_id, cap)
        if not reservation.decision.allowed:
            return reservation.decision
        if not reservation.holds:
            return decision  # counters unreachable and budget_fail_mode open
        held = HeldBudget(self, reservation, estimate, call, self.settlements)
        return dataclasses.replace(decision, budget=held)

    async def _hold(self, state: ControlSnapshot | None, call: Call, held: Decision) -> Decision:
        """Wait for the approval of a held call; the approved call goes on as allowed."""
        if self.approvals is None:
            return no_approver(held)
        if held.hold_seconds is None:  # the policy sets no approval block
            wait = max(1, math.ceil(self._settings.approval_timeout_seconds))
            held = dataclasses.replace(held, hold_seconds=wait)
        count = self._counters is not None
        if self.approvals.covered(call, held):
            return holding.approved(state, call, held, count_budgets=count)
        verdict = await self.approvals.wait(call, holding.estimated(held, call))
        if verdict is None or verdict.verdict != "approved":
            return holding.refused(held, verdict)
        return holding.approved(state, call, held, count_budgets=count)

    async def _with_run(
        self, state: ControlSnapshot | None, call: Call, policies: PolicySet
    ) -> Call:
        """The call with its run's counters; as it is (run conditions then do not hold) when
        the counters are unreachable: a run condition is a guard rail, not a spend limit."""
        if self._runs is None or not self._breaker.allow():
            return call
        try:
            counted = await with_run(self._runs, state, call, policies)
        except CounterUnavailable:
            self._failed("run")
            return call
        self._succeeded()
        return counted

    async def _pause(self, call: Call, decision: Decision) -> None:
        if self._runs is None or decision.pause_run_seconds is None:
            return
        try:
            await self._runs.pause(
                run_key(call), pause_reason(decision), decision.pause_run_seconds
            )
        except CounterUnavailable:
            self._failed("run_pause")
            log.warning("run pause not stored; this call is refused, the next ones are judged again",
                        extra={"run_id": call.run_id})  # fmt: skip

    def policies(self, state: ControlSnapshot | None) -> PolicySet:
        """The snapshot's policies, compiled once per org and version."""
        if state is None or not state.policies:
            return EMPTY
        cached = self._compiled.get(state.org)
        if cached is not None and cached[0] == state.version:
            return cached[1]
        compiled = compile_policies(state.policies)
        for error in compiled.errors:
            POLICY_INVALID.inc()
            log.error("policy rejected by this proxy", extra={"org": state.org, "error": error})
        self._compiled[state.org] = (state.version, compiled)
        return compiled

    async def reserve_budget(
        self,
        org: str,
        agent: str,
        run_id: str | None,
        provider: str | None,
        model: str | None,
        estimated_cost_usd: Decimal | None,
        *,
        hold_id: str,
        output_cap_held: int | None = None,
    ) -> BudgetReservation:
        """Hold ``estimated_cost_usd`` on every hard budget covering the call (``hold_id``: the
        call id). On a refusal, holds already taken for this call are released.
        ``output_cap_held``: the model's output cap, when the estimate holds it because the
        call set no max_tokens (the refusal says so)."""
        if self._counters is None:
            return BudgetReservation(ALLOW, hold_id)
        state = self._holder.get(org)
        rules = matching_budgets(
            state, agent=agent, team=profile(state, agent).team, provider=provider, model=model
        )
        return await self._reserve(
            tuple(rules), run_id, estimated_cost_usd, hold_id, output_cap_held
        )

    async def _take(self, take: RateTake) -> Decision | None:
        """The refusal when ``take`` does not fit its rate limit. Limits smooth load (spend
        limits are budgets): with the limiter unreachable the call goes through, counted."""
        if self._limiter is None or not self._breaker.allow():
            return None
        try:
            result = await self._limiter.take(take.key, take.per_minute, take.cost)
        except CounterUnavailable:
            self._failed("rate_limit")
            return None
        self._succeeded()
        return None if result.allowed else rate_refusal(take, result.retry_after_ms)

    async def settle(self, reservation: BudgetReservation, real_cost_usd: Decimal) -> None:
        """Count the real cost on every budget held. A failure is logged and counted, not
        raised: the call already happened, and the control plane's rebuild heals the counter."""
        for hold in reservation.holds:
            await self._quietly("settle", hold, reservation.hold_id, real_cost_usd)

    async def release(self, reservation: BudgetReservation) -> None:
        """Drop the holds of a call that never reached the provider."""
        for hold in reservation.holds:
            await self._quietly("release", hold, reservation.hold_id, None)

    async def close(self) -> None:
        """In-flight settlements are cancelled: their holds expire, and the control plane's
        reconciliation counts the calls from their records."""
        await self.settlements.close()

    async def _reserve(
        self,
        rules: tuple[BudgetRule, ...],
        run_id: str | None,
        estimate: Decimal | None,
        hold_id: str,
        output_cap_held: int | None = None,
    ) -> BudgetReservation:
        held: list[BudgetHold] = []
        limit: tuple[Decimal, BudgetRule] | None = None
        for rule in rules:
            hold = BudgetHold(rule.budget_id, counter_period(rule, run_id))
            result = await self._reserve_one(rule, hold, hold_id, estimate)
            refusal = self._refusal(rule, result, estimate, output_cap_held)
            if refusal is not None:
                await self.release(BudgetReservation(ALLOW, hold_id, tuple(held)))
                return BudgetReservation(refusal, hold_id)
            if result is None:
                continue  # counters unreachable, fail mode open: nothing held
            held.append(hold)
            headroom = (estimate or Decimal(0)) + max(result.remaining, Decimal(0))
            if rule.scope in ("run", "agent") and (limit is None or headroom < limit[0]):
                limit = (headroom, rule)
        return BudgetReservation(
            ALLOW,
            hold_id,
            tuple(held),
            stream_limit_usd=limit[0] if limit else None,
            stream_rule=limit[1] if limit else None,
        )

    async def _reserve_one(
        self, rule: BudgetRule, hold: BudgetHold, hold_id: str, estimate: Decimal | None
    ) -> Reservation | None:
        """The counter's answer, or None when it is unreachable (or the breaker is open)."""
        assert self._counters is not None
        if not self._breaker.allow():
            BUDGET_COUNTER_FAILURES.labels("reserve").inc()
            return None
        try:
            result = await self._counters.reserve(
                HoldRequest(
                    hold.budget_id,
                    hold.period_key,
                    hold_id,
                    estimate or Decimal(0),
                    rule.limit_at(self._now()),
                    self._ttl,
                    max_calls=rule.max_calls,
                )
            )
        except CounterUnavailable:
            self._failed("reserve")
            return None
        self._succeeded()
        return result

    def _refusal(
        self,
        rule: BudgetRule,
        result: Reservation | None,
        hold: Decimal | None,
        output_cap_held: int | None,
    ) -> Decision | None:
        if result is None:
            closed = self._settings.budget_fail_mode == "closed"
            return budget_unavailable(rule) if closed else None
        if not result.ok:
            return budget_refusal(
                rule,
                result.reason,
                result.remaining,
                now=self._now(),
                spent=result.usage.spent,
                held=result.usage.held,
                hold=hold,
                output_cap_held=output_cap_held,
            )
        return None

    async def _quietly(
        self, operation: str, hold: BudgetHold, hold_id: str, cost: Decimal | None
    ) -> None:
        if self._counters is None or not self._breaker.allow():
            BUDGET_COUNTER_FAILURES.labels(operation).inc()
            return
        try:
            if cost is None:
                await self._counters.release(hold.budget_id, hold.period_key, hold_id)
            else:
                await self._counters.settle(hold.budget_id, hold.period_key, hold_id, cost)
        except CounterUnavailable:
            self._failed(operation)
            log.warning(
                "budget counter operation failed; the control plane's rebuild will heal it",
                extra={"operation": operation, "budget_id": hold.budget_id},
            )
            return
        self._succeeded()

    def _failed(self, operation: str) -> None:
        self._breaker.record_failure()
        BUDGET_COUNTER_FAILURES.labels(operation).inc()
        BREAKER_OPEN.labels("counters").set(int(self._breaker.state == "open"))

    def _succeeded(self) -> None:
        self._breaker.record_success()
        BREAKER_OPEN.labels("counters").set(0)
