"""Policies: the schema admins write, a compiler, and an evaluator returning matches with
reasons. Pure code (a lint rule bans I/O frameworks and our other packages here)."""

from policies.applied import AppliedHits, fold
from policies.detectors import DETECTORS, Detector, compile_pattern, luhn_ok
from policies.evaluate import (
    EMPTY,
    Hit,
    PolicySet,
    compile_policies,
    evaluate,
    in_window,
    run_windows,
)
from policies.facts import Facts
from policies.redact import redact
from policies.runs import DEFAULT_PAUSE_SECONDS, Fingerprints, RunFacts, fingerprints
from policies.schema import (
    SCHEMA_VERSION,
    Approval,
    Conditions,
    Loop,
    Policy,
    RateLimit,
    Scope,
    TimeWindow,
)

__all__ = [
    "DEFAULT_PAUSE_SECONDS",
    "DETECTORS",
    "EMPTY",
    "SCHEMA_VERSION",
    "AppliedHits",
    "Approval",
    "Conditions",
    "Detector",
    "Facts",
    "Fingerprints",
    "Hit",
    "Loop",
    "Policy",
    "PolicySet",
    "RateLimit",
    "RunFacts",
    "Scope",
    "TimeWindow",
    "compile_pattern",
    "compile_policies",
    "evaluate",
    "fingerprints",
    "fold",
    "in_window",
    "luhn_ok",
    "redact",
    "run_windows",
]
