"""The proxy's decision for a call, pure: ``decide(snapshot, call) -> Decision``.

No I/O here (a lint rule in ``ruff.toml`` bans the frameworks): the gate in ``proxy/control``
asks ``decide`` and then takes the holds the decision names on the shared counters.
"""

from proxy.decision.decide import SPOOL_FULL, decide, should_cut_stream
from proxy.decision.types import ALLOW, Call, CallBudget, Decision, Match, StateHealth

__all__ = [
    "ALLOW",
    "SPOOL_FULL",
    "Call",
    "CallBudget",
    "Decision",
    "Match",
    "StateHealth",
    "decide",
    "should_cut_stream",
]
