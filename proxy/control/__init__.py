"""The proxy's control state: held in memory, fed from the state bus, decided on purely.

The proxy's ``gate`` addon holds a ``ControlGate`` (which asks ``proxy.decision.decide`` and
takes the budget holds it names); the proxy's startup builds a holder, a
source (``redis_source.RedisStateSource``, imported only where Redis is configured, or
``MemoryStateSource``) and the gate, and closes the source on shutdown.
"""

from proxy.control.breaker import CircuitBreaker
from proxy.control.gate import BudgetReservation, ControlGate
from proxy.control.health import StateHealth, assess
from proxy.control.holder import ControlStateHolder
from proxy.control.memory_source import MemoryStateSource
from proxy.control.metrics import track_state_age

__all__ = [
    "BudgetReservation",
    "CircuitBreaker",
    "ControlGate",
    "ControlStateHolder",
    "MemoryStateSource",
    "StateHealth",
    "assess",
    "track_state_age",
]
