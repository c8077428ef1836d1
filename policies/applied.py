"""Which of one call's matches apply, and what they add up to (pure; the proxy's decision and
the simulation both fold matches here, so a simulation predicts exactly what enforcement does).

Enforced matches apply in evaluation order: ``allow`` exempts the call from every policy after
it; the first ``deny``, ``require_approval`` or ``pause_run`` decides and nothing after it applies; every
``redact`` adds its detectors; the first ``route`` picks the model; ``rate_limit`` and
``alert`` apply. Shadow matches, and enforced ones something earlier outranked, apply nothing
and are reported as what they would have done.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.detectors import Detector
from policies.evaluate import Hit


@dataclass(frozen=True)
class AppliedHits:
    """One call's matches folded: which applied, and the verdict, route, redaction and rate
    limits they add up to (the proxy turns it into its ``Decision``)."""

    final: Hit | None  # the deny, require_approval or pause_run that decides, if any
    applied: tuple[bool, ...]  # per hit, in order: did it apply
    route_to: str | None
    redact: tuple[Detector, ...]
    rate_limits: tuple[Hit, ...]


def fold(hits: list[Hit]) -> AppliedHits:
    applied: list[bool] = []
    final: Hit | None = None
    exempt = False
    route_to: str | None = None
    redact: list[Detector] = []
    limits: list[Hit] = []
    for hit in hits:
        applies = hit.mode == "enforce" and not exempt and final is None
        if applies:
            if hit.action == "allow":
                exempt = True
            elif hit.action in ("deny", "require_approval", "pause_run"):
                final = hit
            elif hit.action == "route":
                applies = route_to is None
                route_to = route_to or hit.route_to
            elif hit.action == "redact":
                redact.extend(hit.detectors)
            elif hit.action == "rate_limit":
                limits.append(hit)
        applied.append(applies)
    return AppliedHits(final, tuple(applied), route_to, tuple(redact), tuple(limits))
