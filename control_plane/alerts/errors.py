"""The one failure a delivery attempt reports."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """A short reason; ``permanent`` when retrying cannot help (a configuration error)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
