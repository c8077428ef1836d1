"""An allowed call's budget holds (the call state's ``budget``): prices a stream as it runs,
settles the real cost (or releases the holds) once the call is over."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from agentops.tasks import TaskSet
from pricing import estimate_worst_case_cost
from proxy.decision import Call

if TYPE_CHECKING:
    from proxy.control.gate import BudgetReservation, ControlGate

CHARS_PER_TOKEN = 4  # a stream's running output is priced at ceil(chars / 4) tokens


class HeldBudget:
    def __init__(
        self,
        gate: ControlGate,
        reservation: BudgetReservation,
        estimate: Decimal,
        call: Call,
        tasks: TaskSet,
    ) -> None:
        self._gate = gate
        self._reservation = reservation
        self._estimate = estimate
        self._tasks = tasks
        self._closed = False
        self._limit = reservation.stream_limit_usd if call.streaming else None
        self._input = self._rate = Decimal(0)
        if self._limit is not None and call.model is not None:
            model, provider = call.model, call.provider
            tokens = call.estimated_input_tokens or 0
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
