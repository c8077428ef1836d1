"""Wire schemas shared by the proxy and the control plane (the only thing they share)."""

from agentops.wire.control import ControlRule, ControlSnapshot
from agentops.wire.record import CallRecord, CallStatus, TokenCounts

__all__ = ["CallRecord", "CallStatus", "ControlRule", "ControlSnapshot", "TokenCounts"]
