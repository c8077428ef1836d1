"""Which hosts are LLM providers: the only hosts whose TLS the proxy intercepts.

Settings list them as fnmatch patterns (``*.openai.azure.com``), optionally with a port
(``vllm.internal:8000``). mitmproxy's ``allow_hosts`` wants regular expressions searched in
``host:port`` strings, so the same patterns are compiled once here for both uses.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


def pattern_regex(pattern: str) -> str:
    """An fnmatch host pattern as an anchored regex over ``host:port``."""
    pattern = pattern.strip().lower()
    host, sep, port = pattern.rpartition(":")
    if sep and port.isdigit():
        return "^" + _glob(host) + ":" + port + "$"
    return "^" + _glob(pattern) + r":\d+$"


def _glob(pattern: str) -> str:
    # fnmatch.translate anchors and wraps in (?s:...)\Z; we only want the body.
    body = fnmatch.translate(pattern)
    return body.removeprefix("(?s:").removesuffix(r")\Z")


# Answers remembered per (host, port): every forward request asks, and ~20 patterns are
# searched otherwise. Hosts come from clients, so the memo is bounded (cleared when full).
_MEMO_MAX = 4096


@dataclass(frozen=True, slots=True)
class HostMatcher:
    regexes: tuple[str, ...]
    _compiled: tuple[re.Pattern[str], ...]
    _memo: dict[tuple[str, int], bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_patterns(cls, patterns: Iterable[str]) -> HostMatcher:
        regexes = tuple(pattern_regex(p) for p in patterns if p.strip())
        return cls(regexes, tuple(re.compile(r, re.IGNORECASE) for r in regexes))

    def matches(self, host: str, port: int) -> bool:
        key = (host, port)
        found = self._memo.get(key)
        if found is None:
            target = f"{host.lower()}:{port}"
            found = any(rex.search(target) for rex in self._compiled)
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            self._memo[key] = found
        return found
