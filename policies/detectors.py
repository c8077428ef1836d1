"""Content detectors: built-in secret and PII finders, and admins' own RE2 patterns.

Every pattern runs on RE2 (``google-re2``): matching time is linear in the text, with no
backtracking and a memory cap per compiled pattern, so no rule can stall the proxy. The text a
detector reads is bounded too (``MAX_SCAN_CHARS``) and card numbers are confirmed with the
Luhn checksum, so order numbers and timestamps do not count as cards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import re2

DetectorName = Literal["api_key", "cloud_credential", "private_key", "card_number", "email"]

MAX_PATTERN_CHARS = 1000
MAX_SCAN_CHARS = 1_000_000  # of prompt text per call; more is not read
_MAX_MEM = 8 << 20


def _options() -> Any:
    options = re2.Options()
    options.max_mem = _MAX_MEM
    options.log_errors = False  # a rejected pattern is reported to the admin, not to stderr
    return options


def compile_pattern(pattern: str) -> Any:
    """An RE2 program for ``pattern``; ValueError (naming it) when RE2 rejects it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"pattern longer than {MAX_PATTERN_CHARS} characters")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        raise ValueError(f"pattern {pattern!r} is not a valid RE2 expression: {exc}") from exc


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = ord(char) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: str) -> bool:
    digits = "".join(c for c in match if c.isdigit())
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


_BUILT_IN: dict[DetectorName, tuple[str, Callable[[str], bool] | None]] = {
    "api_key": (
        r"\b(?:sk-(?:proj-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{36,}"
        r"|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|aoh_[A-Za-z0-9_]{16,})",
        None,
    ),
    "cloud_credential": (
        r"\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}"
        r"|(?i:aws_secret_access_key)\s*[=:]\s*[A-Za-z0-9/+=]{40}"
        r"|AccountKey=[A-Za-z0-9+/=]{40,})",
        None,
    ),
    "private_key": (
        # Through its END line, or (a key cut short) to the end of the text.
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]*?-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"
        r"(?: BLOCK)?-----|[\s\S]*)",
        None,
    ),
    "card_number": (r"\b(?:\d[ -]?){12,18}\d\b", _card),
    "email": (r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}\b", None),
}
DETECTORS: tuple[DetectorName, ...] = tuple(_BUILT_IN)


@dataclass(frozen=True)
class Detector:
    """A compiled finder: ``name`` is a built-in's name or ``pattern:<n>``."""

    name: str
    program: Any
    confirm: Callable[[str], bool] | None = None
    key: str = ""  # what it finds, for sharing one scan between policies: name or pattern
    pattern: str = ""

    def spans(self, text: str) -> list[tuple[int, int]]:
        found = []
        for match in self.program.finditer(text[:MAX_SCAN_CHARS]):
            if self.confirm is None or self.confirm(match.group(0)):
                found.append((match.start(), match.end()))
        return found

    def found_in(self, text: str) -> bool:
        if self.confirm is not None:
            return bool(self.spans(text))
        return self.program.search(text[:MAX_SCAN_CHARS]) is not None

    def mask(self, text: str) -> tuple[str, int]:
        """``text`` with each finding replaced by ``[REDACTED:<name>]``, and how many."""
        spans = self.spans(text)
        if not spans:
            return text, 0
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(f"[REDACTED:{self.name}]")
            last = end
        out.append(text[last:])
        return "".join(out), len(spans)


def built_in(name: DetectorName) -> Detector:
    pattern, confirm = _BUILT_IN[name]
    return Detector(name, compile_pattern(pattern), confirm, key=name, pattern=pattern)


def detectors_for(names: list[DetectorName], patterns: list[str]) -> tuple[Detector, ...]:
    found = [built_in(name) for name in names]
    found += [
        Detector(f"pattern:{i}", compile_pattern(p), key=f"re2:{p}", pattern=p)
        for i, p in enumerate(patterns)
    ]
    return tuple(found)


class Scanner:
    """Every detector of a policy set in one RE2 set: one pass over a call's text tells which
    of them may match (a confirmed detector, the card numbers, still checks its candidates)."""

    def __init__(self, detectors: list[Detector]) -> None:
        self._keys: list[str] = []
        self._set = re2.Set.SearchSet(_options())
        for detector in detectors:
            if detector.key not in self._keys:
                self._set.Add(detector.pattern)
                self._keys.append(detector.key)
        self._set.Compile()

    def keys_in(self, text: str) -> frozenset[str]:
        found = self._set.Match(text[:MAX_SCAN_CHARS]) or ()
        return frozenset(self._keys[i] for i in found)


def scanner_for(detectors: list[Detector]) -> Scanner | None:
    """None when there is nothing to scan for, or RE2 cannot build the set (each detector
    then scans on its own)."""
    if not detectors:
        return None
    try:
        return Scanner(detectors)
    except re2.error:
        return None
