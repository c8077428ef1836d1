"""The gate the proxy's ``gate`` addon asks: may this call go upstream?

``check`` reads memory only (kill-switches, pauses, state health). ``reserve_budget`` and
``settle`` talk to the shared spend counters, behind a circuit breaker and tight timeouts, so a
slow or dead Redis costs an agent's call at most one timeout and then nothing while the breaker
is open; ``settings.budget_fail_mode`` decides what an unreachable counter means.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from agentops.settings import ProxySettings
from agentops.statebus import CounterUnavailable, Reservation, SpendCounters
from agentops.wire.control import BudgetRule
from proxy.control import budgets
from proxy.control.breaker import CircuitBreaker
from proxy.control.decide import ALLOW, Decision, decide, profile, should_cut_stream
from proxy.control.health import StateHealth, assess_holder
from proxy.control.holder import ControlStateHolder
from proxy.control.metrics import BREAKER_OPEN, BUDGET_COUNTER_FAILURES

log = logging.getLogger(__name__)


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


class ControlGate:
    def __init__(
        self,
        holder: ControlStateHolder,
        settings: ProxySettings,
        counters: SpendCounters | None = None,
        *,
        breaker: CircuitBreaker | None = None,
        hold_ttl_seconds: float = 600.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``hold_ttl_seconds`` bounds how long a crashed call's hold counts: longer than the
        longest expected call (streams included), short enough to free a budget soon after."""
        self._holder = holder
        self._settings = settings
        self._counters = counters
        self._breaker = breaker or CircuitBreaker()
        self._ttl = hold_ttl_seconds
        self._now = now

    def health(self) -> StateHealth:
        """Readiness and staleness of the control state (for /readyz and for ``check``)."""
        return assess_holder(self._holder.ready, self._holder.age_seconds(), self._settings)

    def check(
        self,
        org: str,
        agent: str,
        run_id: str | None,
        provider: str | None,
        model: str | None,
        estimated_cost_usd: Decimal | None,
        *,
        key_id: str | None = None,
    ) -> Decision:
        """Kill-switch, pause and state-health decision; memory only, never awaits."""
        state = self._holder.get(org)
        return decide(state, org=org, agent=agent, health=self.health(), key_id=key_id)

    def should_cut_stream(self, org: str, agent: str, key_id: str | None = None) -> Decision | None:
        """Asked while a response streams (e.g. from a holder listener): kill cuts, pause not."""
        return should_cut_stream(self._holder.get(org), org=org, agent=agent, key_id=key_id)

    def covering(
        self, org: str, agent: str, provider: str | None, model: str | None
    ) -> list[BudgetRule]:
        """The hard budgets covering a call (memory only); none without counters to ask."""
        if self._counters is None:
            return []
        state = self._holder.get(org)
        team = profile(state, agent).team
        return budgets.matching_budgets(
            state, agent=agent, team=team, provider=provider, model=model
        )

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
        """Hold the estimated cost on every hard budget covering the call (``hold_id``: the
        call id). On a refusal, holds already taken for this call are released.
        ``output_cap_held``: the model's output cap, when the estimate holds it because the
        call set no max_tokens (the refusal says so)."""
        rules = self.covering(org, agent, provider, model)
        if not rules:
            return BudgetReservation(ALLOW, hold_id)
        held: list[BudgetHold] = []
        limit: tuple[Decimal, BudgetRule] | None = None
        for rule in rules:
            hold = BudgetHold(rule.budget_id, budgets.counter_period(rule, run_id))
            result = await self._reserve_one(rule, hold, hold_id, estimated_cost_usd)
            refusal = self._refusal(rule, result, estimated_cost_usd, output_cap_held)
            if refusal is not None:
                await self.release(BudgetReservation(ALLOW, hold_id, tuple(held)))
                return BudgetReservation(refusal, hold_id)
            if result is None:
                continue  # counters unreachable, fail mode open: nothing held
            held.append(hold)
            headroom = (estimated_cost_usd or Decimal(0)) + max(result.remaining, Decimal(0))
            if rule.scope in ("run", "agent") and (limit is None or headroom < limit[0]):
                limit = (headroom, rule)
        return BudgetReservation(
            ALLOW,
            hold_id,
            tuple(held),
            stream_limit_usd=limit[0] if limit else None,
            stream_rule=limit[1] if limit else None,
        )

    async def settle(self, reservation: BudgetReservation, real_cost_usd: Decimal) -> None:
        """Count the real cost on every budget held. A failure is logged and counted, not
        raised: the call already happened, and the control plane's rebuild heals the counter."""
        for hold in reservation.holds:
            await self._quietly("settle", hold, reservation.hold_id, real_cost_usd)

    async def release(self, reservation: BudgetReservation) -> None:
        """Drop the holds of a call that never reached the provider."""
        for hold in reservation.holds:
            await self._quietly("release", hold, reservation.hold_id, None)

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
                hold.budget_id,
                hold.period_key,
                hold_id,
                estimate or Decimal(0),
                rule.limit_usd,
                self._ttl,
                max_calls=rule.max_calls,
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
            return budgets.budget_unavailable(rule) if closed else None
        if not result.ok:
            return budgets.budget_refusal(
                rule, result, now=self._now(), hold=hold, output_cap_held=output_cap_held
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
