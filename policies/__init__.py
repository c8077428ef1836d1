"""Policies: the schema admins write, a compiler, and an evaluator returning matches with
reasons. Pure code (a lint rule bans I/O frameworks and our other packages here)."""

from policies.detectors import DETECTORS, Detector, compile_pattern, luhn_ok
from policies.evaluate import EMPTY, Hit, PolicySet, compile_policies, evaluate, in_window
from policies.facts import Facts
from policies.outcome import Outcome, fold
from policies.redact import redact
from policies.schema import (
    SCHEMA_VERSION,
    Approval,
    Conditions,
    Policy,
    RateLimit,
    Scope,
    TimeWindow,
)

__all__ = [
    "DETECTORS",
    "EMPTY",
    "SCHEMA_VERSION",
    "Approval",
    "Conditions",
    "Detector",
    "Facts",
    "Hit",
    "Outcome",
    "Policy",
    "PolicySet",
    "RateLimit",
    "Scope",
    "TimeWindow",
    "compile_pattern",
    "compile_policies",
    "evaluate",
    "fold",
    "in_window",
    "luhn_ok",
    "redact",
]
