"""The proxy's control state, assembled: holder, key verifier, source, gate, stream cutter and
heartbeat.

``ProxyService`` builds one of these when no gate is handed to it. The source is Redis when
``control_plane.redis_url`` is set, else the in-process ``MemoryStateBus`` of an embedded
control plane; with neither there is no control state and the proxy allows every call. The
spend counters of hard budgets live beside the state: in Redis, or in memory when embedded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import MemorySpendCounters, MemoryStateBus, RedisSpendCounters, SpendCounters
from agentops.statebus import connect as connect_redis
from agentops.tasks import TaskSet
from agentops.wire.control import BudgetRule
from pricing import estimate_worst_case_cost
from pricing import max_output_tokens as model_output_cap
from proxy.control import ControlGate, ControlStateHolder, MemoryStateSource, RedisStateSource
from proxy.control.decide import Decision as Verdict
from proxy.control.gate import BudgetReservation
from proxy.control.keys import StateKeyVerifier
from proxy.control.redis_source import CLIENT_NAME
from proxy.gate import Decision, GateRequest
from proxy.heartbeat import Heartbeat


class ControlledGate:
    """The gate addon's ``Gate``: kill-switch, pause and state health from memory; then, only
    when a hard budget covers the call, a worst-case hold on the shared spend counters."""

    def __init__(self, gate: ControlGate) -> None:
        self._gate = gate
        self.settlements = TaskSet("budget-settlements")  # closed by ControlState.close

    async def decide(self, request: GateRequest) -> Decision:
        r = request
        verdict = self._gate.check(
            r.org, r.agent, r.run_id, r.provider, r.model, None, key_id=r.key_id
        )
        if not verdict.allowed:
            return _refusal(verdict)
        rules = self._gate.covering(r.org, r.agent, r.provider, r.model)
        if not rules:
            return Decision(allow=True)  # the hot path: no hard budget, no round trip
        estimate = worst_case(r)
        if estimate is None:
            return _refusal(_cannot_estimate(rules[0], r.model))
        cap = None
        if r.max_output_tokens is None and r.model is not None:
            cap = model_output_cap(r.model, provider=r.provider)
        reservation = await self._gate.reserve_budget(
            r.org, r.agent, r.run_id, r.provider, r.model, estimate,
            hold_id=r.call_id, output_cap_held=cap,
        )  # fmt: skip
        if not reservation.decision.allowed:
            return _refusal(reservation.decision)
        if not reservation.holds:
            return Decision(allow=True)  # counters unreachable and budget_fail_mode open
        held = HeldBudget(self._gate, reservation, estimate, r, self.settlements)
        return Decision(allow=True, budget=held)

    def stream_cut(self, org: str, agent: str, key_id: str | None) -> tuple[str, str] | None:
        """Asked for every chunk of a live stream: (message, code) when a kill must cut it."""
        verdict = self._gate.should_cut_stream(org, agent, key_id)
        return None if verdict is None else (verdict.message, verdict.code)


COUNTER_TIMEOUT_SECONDS = 1.0
CHARS_PER_TOKEN = 4  # a stream's running output is priced at ceil(chars / 4) tokens


def worst_case(request: GateRequest) -> Decimal | None:
    """Every allowed output token of every choice, at the dearest output rate; None when the
    model is unpriced, its output cap unknown, or the prompt was not read."""
    r = request
    if r.estimated_input_tokens is None or r.model is None:
        return None
    output = r.max_output_tokens or model_output_cap(r.model, provider=r.provider)
    if output is None:
        return None
    return estimate_worst_case_cost(
        r.model, r.estimated_input_tokens, output * r.choices, provider=r.provider
    )


class HeldBudget:
    """The call state's ``budget``: prices a stream as it runs, settles after the call."""

    def __init__(
        self,
        gate: ControlGate,
        reservation: BudgetReservation,
        estimate: Decimal,
        request: GateRequest,
        tasks: TaskSet,
    ) -> None:
        self._gate = gate
        self._reservation = reservation
        self._estimate = estimate
        self._tasks = tasks
        self._closed = False
        self._limit = reservation.stream_limit_usd if request.streaming else None
        self._input = self._rate = Decimal(0)
        if self._limit is not None and request.model is not None:
            model, provider = request.model, request.provider
            tokens = request.estimated_input_tokens or 0
            self._input = estimate_worst_case_cost(model, tokens, 0, provider=provider) or Decimal(
                0
            )
            per_million = estimate_worst_case_cost(model, 0, 1_000_000, provider=provider)
            self._rate = (per_million or Decimal(0)).scaleb(-6)

    def stream_cut(self, output_chars: int) -> tuple[str, str] | None:
        if self._limit is None:
            return None
        running = self._input + self._rate * math.ceil(output_chars / CHARS_PER_TOKEN)
        if running <= self._limit:
            return None
        rule = self._reservation.stream_rule
        name = rule.name if rule is not None else "?"
        reference = rule.budget_id if rule is not None else ""
        message = (
            f"Budget {name!r} stopped this stream: its running cost (about ${running:.6f}) "
            f"passed the ${self._limit:.6f} the budget had left for it (reference {reference})."
        )
        return message, "budget_exceeded"

    def close(self, real_cost_usd: Decimal | None, *, reached_provider: bool) -> None:
        if self._closed:
            return
        self._closed = True
        reservation = self._reservation
        if not reached_provider:
            self._tasks.spawn(self._gate.release(reservation), name="budget-release")
            return
        # A call that reached the provider but could not be priced counts at its worst case;
        # the control plane's reconciliation corrects the counter from the stored calls.
        cost = real_cost_usd if real_cost_usd is not None else self._estimate
        self._tasks.spawn(self._gate.settle(reservation, cost), name="budget-settle")


@dataclass
class ControlState:
    holder: ControlStateHolder
    source: RedisStateSource | MemoryStateSource
    gate: ControlledGate
    settings: Settings
    verifier: StateKeyVerifier
    heartbeat: Heartbeat | None = None
    counter_client: Redis[Any] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        bus: MemoryStateBus | None = None,
        counters: SpendCounters | None = None,
    ) -> ControlState | None:
        """``counters`` overrides the spend counters the settings imply (Redis next to the state,
        else one in-memory set for the embedded single process)."""
        holder = ControlStateHolder()
        source: RedisStateSource | MemoryStateSource
        cp, p = settings.control_plane, settings.proxy
        # Proxy credentials are checked against the key directory the same source feeds.
        verifier = StateKeyVerifier(
            require_credentials=p.require_credentials, default_org=p.default_org
        )
        client: Redis[Any] | None = None
        if cp.redis_url is not None:
            # Named after the proxy when it has a configured id, so CLIENT LIST tells them apart.
            name = CLIENT_NAME + (f":{p.proxy_id}" if p.proxy_id else "")
            source = RedisStateSource(
                holder,
                redis_url=cp.redis_url,
                prefix=cp.redis_prefix,
                resync_seconds=p.state_resync_seconds,
                client_name=name.replace(" ", "_"),
                verifier=verifier,
            )
            if counters is None:
                # A budget check waits at most this long, then budget_fail_mode applies; 0.2 s
                # (the state client's) refused healthy calls when a burst opened the pool.
                client = connect_redis(
                    cp.redis_url,
                    timeout_seconds=COUNTER_TIMEOUT_SECONDS,
                    client_name=f"{name}:counters".replace(" ", "_"),
                )
                counters = RedisSpendCounters(
                    client, cp.redis_prefix, timeout_seconds=COUNTER_TIMEOUT_SECONDS
                )
        elif bus is not None:
            source = MemoryStateSource(
                bus, holder, resync_seconds=p.state_resync_seconds, verifier=verifier
            )
            counters = counters or MemorySpendCounters()
        else:
            return None
        gate = ControlledGate(ControlGate(holder, p, counters))
        return cls(holder, source, gate, settings, verifier, counter_client=client)

    @property
    def ready(self) -> bool:
        return self.holder.ready

    async def start(self, proxy_id: str) -> None:
        await self.source.start()
        p = self.settings.proxy
        if p.control_plane_url:
            self.heartbeat = Heartbeat(
                self.holder,
                base_url=p.control_plane_url,
                api_key=p.api_key,
                proxy_id=proxy_id,
                interval_seconds=p.heartbeat_seconds,
            )
            await self.heartbeat.start()

    async def close(self) -> None:
        if self.heartbeat is not None:
            await self.heartbeat.close()
            self.heartbeat = None
        await self.source.close()
        # In-flight settlements are cancelled: their holds expire, and the control plane's
        # reconciliation counts the calls from their records.
        await self.gate.settlements.close()
        if self.counter_client is not None:
            await _aclose(self.counter_client)
            self.counter_client = None


def _cannot_estimate(rule: BudgetRule, model: str | None) -> Verdict:
    """A hard budget cannot be checked without a worst case (unpriced model, unknown output cap,
    unread prompt): refused, as letting spend of unknown size through would not be a limit."""
    return Verdict(
        allowed=False,
        status=403,
        code="budget_unpriced_model",
        message=(
            f"Budget {rule.name!r} is enforced strictly, and the worst-case cost of this call "
            f"to model {model or 'unknown'!r} cannot be estimated (no price, no output cap or "
            f"an unreadable request): set max_tokens, or ask an admin to add a price for the "
            f"model (reference {rule.budget_id})."
        ),
        reference=rule.budget_id,
    )


def _refusal(verdict: Verdict) -> Decision:
    return Decision(
        allow=False,
        status=verdict.status,
        code=verdict.code,
        message=verdict.message,
        reference=verdict.reference or "",
        reason=verdict.code,
        retry_after_seconds=verdict.retry_after_seconds,
    )


async def _aclose(client: Redis[Any]) -> None:
    # redis 8 names it aclose; the installed types-redis stubs predate it.
    closer: Any = client
    await closer.aclose()
