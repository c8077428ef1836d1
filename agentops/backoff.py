"""Exponential backoff: how long to wait before the next try of something that failed (pure).

One formula for every retry loop (the proxy's shipper and its Redis reconnects, the control
plane's alert deliveries), which differ only in their numbers and in how much of the delay is
random. ``spread`` is that share: 0 waits the whole delay (no jitter), 0.5 waits half of it plus
a random part of the other half ("equal jitter"), 1 waits a random part of all of it ("full
jitter"). Jitter keeps many clients that failed together from retrying in step. The random draw
is the caller's, so the formula is tested without randomness.
"""

from __future__ import annotations

_MAX_DOUBLINGS = 64  # far past any cap; keeps 2.0 ** n from overflowing


def backoff_delay(
    retry: int, *, base: float, cap: float, spread: float = 0.0, draw: float = 1.0
) -> float:
    """The delay before retry number ``retry`` (0: the first): ``base`` doubled ``retry``
    times, at most ``cap``, of which the ``spread`` share is scaled by ``draw`` in [0, 1]."""
    if not (0.0 <= spread <= 1.0 and 0.0 <= draw <= 1.0):
        raise ValueError(f"spread and draw are in [0, 1], not {spread!r} and {draw!r}")
    ceiling = min(cap, base * 2.0 ** min(max(retry, 0), _MAX_DOUBLINGS))
    return ceiling * (1.0 - spread) + ceiling * spread * draw
