"""Shared foundation of AgentOps Hub: settings, logging, ids and the wire schemas.

Both the proxy and the control plane import this package; it imports neither of them.
"""

__version__ = "0.1.0"
