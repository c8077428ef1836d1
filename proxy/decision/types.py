"""The values ``decide`` reads and returns: a call, the state's health, one ``Decision``.

Plain frozen dataclasses, so a decision is cheap to build on the hot path and easy to compare in
a table-driven test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from agentops.wire.control import BudgetRule
from policies import Detector, RunFacts

Action = Literal["allow", "refuse", "hold"]
MatchKind = Literal["kill", "pause", "registry", "state", "budget", "spool", "policy", "run"]
HealthReason = Literal[
    "fresh", "stale_keep_last_known", "stale_refuse_all", "no_snapshot", "no_snapshot_start_open"
]


@dataclass(frozen=True, slots=True)
class StateHealth:
    serving: bool  # may calls be decided from the held state (else 503)
    reason: HealthReason
    age_seconds: float | None
    retry_after_seconds: int  # for 503 refusals: about when a resync may have fixed it

    @property
    def ready(self) -> bool:
        """For /readyz: a proxy serving on a stale-but-kept snapshot (or started open) stays
        ready, its age reported by the gauge; one that refuses every call is not."""
        return self.serving


@dataclass(frozen=True, slots=True)
class Call:
    """What the gate knows about a call before it goes upstream."""

    org: str
    agent: str
    run_id: str
    provider: str
    endpoint: str
    model: str | None
    streaming: bool = False
    max_output_tokens: int | None = None
    call_id: str = ""  # the hold id of budget reservations
    choices: int = 1  # n: every choice may generate max_output_tokens
    # Tokenizing the prompt is deferred until a budget check asks (see RequestFacts).
    estimate: Callable[[], int | None] = lambda: None
    team: str | None = None  # the caller's fallback for an agent missing from the registry
    key_id: str | None = None  # public id of the verified API key (key kills, api_key policies)
    request_bytes: int = 0
    now: datetime | None = None  # when the call started (time-window policies)
    body: Callable[[], Any] = lambda: None  # the parsed JSON body, read only if a policy asks
    run: RunFacts | None = None  # the run's shared counters, filled in by the gate when read

    @property
    def estimated_input_tokens(self) -> int | None:
        return self.estimate()


@dataclass(frozen=True, slots=True)
class Match:
    """One rule that shaped the decision, and why."""

    kind: MatchKind
    reference: str  # the rule's id (kill reference, budget id, policy id, ...)
    reason: str
    name: str = ""  # a policy's name
    action: str = ""  # a policy's action (deny, redact, route, ...)
    applied: bool = True  # False: a shadow policy (or one outranked): what it would have done
    mode: Literal["enforce", "shadow"] = "enforce"


@dataclass(frozen=True, slots=True)
class RateTake:
    """Units a call takes from a rate limit, on the shared limiter, before it goes upstream."""

    policy_id: str
    name: str
    key: str  # the allowance: policy id and whose (team, agent, key) it is
    per_minute: int
    cost: int
    unit: Literal["requests", "tokens"]


class CallBudget(Protocol):
    """An allowed call's holds on hard budgets: taken by the gate, asked by the stream tee,
    closed once by the record step."""

    def stream_cut(self, output_chars: int) -> tuple[str, str] | None:
        """(message, code) once a stream's running cost passes what its budgets leave."""
        ...

    def close(self, real_cost_usd: Decimal | None, *, reached_provider: bool) -> None:
        """Settle the real cost (or release the holds) in the background; never blocks."""
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    """The one answer for a call: the action, the rules that matched, and what must be held.

    A refusal carries what the agent is told (``status``, ``code``, ``message``,
    ``reference``, ``retry_after_seconds``) and what its record stores (``reason``). An allowed
    call may carry ``holds``: hard budgets on which ``worst_case_usd`` must be held on the
    shared counters before it goes upstream; the gate takes them and sets ``budget``.
    """

    action: Action = "allow"
    status: int = 200  # 403 kill/policy, 429 rate/budget (the adapter adds Retry-After), 503
    code: str = "allowed"  # machine-readable, e.g. "agent_killed", "budget_exceeded"
    message: str = ""  # shown to the agent's developer
    reference: str = ""  # id the developer can quote to an admin
    reason: str = ""  # stored in the record's refusal_reason (defaults to ``code``)
    retry_after_seconds: int | None = None  # overrides the adapter's default Retry-After
    matched: tuple[Match, ...] = ()
    holds: tuple[BudgetRule, ...] = ()
    worst_case_usd: Decimal | None = None
    route_to: str | None = None  # a route policy's model, sent instead of the requested one
    redact: tuple[Detector, ...] = ()  # what to mask in the body before it is forwarded
    hold_seconds: int | None = None  # "hold": how long to wait for an approval
    rate_limits: tuple[RateTake, ...] = ()  # taken by the gate before the budget holds
    pause_run_seconds: int | None = None  # pause_run: the gate pauses the call's run this long
    budget: CallBudget | None = field(default=None, compare=False)

    @property
    def allowed(self) -> bool:
        return self.action == "allow"


ALLOW = Decision()


def refuse(
    status: int,
    code: str,
    message: str,
    *,
    kind: MatchKind,
    reference: str = "",
    reason: str = "",
    retry_after_seconds: int | None = None,
) -> Decision:
    """A refusal naming the rule that caused it."""
    return Decision(
        action="refuse",
        status=status,
        code=code,
        message=message,
        reference=reference,
        reason=reason or code,
        retry_after_seconds=retry_after_seconds,
        matched=(Match(kind, reference or code, message),),
    )
