"""Which of a call's candidate policies pass their per-call screen, decided a group at a time
(pure).

Most policies state one per-call condition (a size or ``max_tokens`` threshold, a time window,
tool globs, content detectors), and most of them do not hold for a given call. Asking each
policy in turn costs a function call per policy; a ``Plan``, built once per candidate list (it
is memoised with it), groups the single-condition policies by kind so that one test answers
for the whole group: one bisection per threshold kind, one judgement per distinct window, one
combined glob over the call's tools, one look at the call's single content scan. Policies with
no screen or with several conditions are screened one by one. The survivors come back in
evaluation order.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from policies.detectors import Detector, Scanner
from policies.facts import Clock, Facts
from policies.screen import Screen, Single


@dataclass(frozen=True)
class Plan:
    each: tuple[tuple[int, Screen | None], ...]  # screened one by one (None: always passes)
    sizes: tuple[tuple[int, ...], tuple[int, ...]]  # thresholds ascending, their policies
    max_tokens: tuple[tuple[int, ...], tuple[int, ...]]
    windows: tuple[tuple[Clock, tuple[int, ...]], ...]
    tools: re.Pattern[str] | None  # every tool glob of the group in one pattern
    tool_globs: tuple[tuple[re.Pattern[str], int], ...]
    content_keys: frozenset[str]  # every detector key of the group
    content: tuple[tuple[frozenset[str], tuple[Detector, ...], int], ...]

    @classmethod
    def of(cls, singles: Sequence[tuple[Single | None, Screen | None]], scanned: bool) -> Plan:
        """``singles``: each candidate's single condition (None when it has none or several)
        and its screen; ``scanned``: the policy set has one content scanner."""
        each: list[tuple[int, Screen | None]] = []
        sizes: list[tuple[int, int]] = []
        tokens: list[tuple[int, int]] = []
        windows: dict[int, tuple[Clock, list[int]]] = {}
        globs: list[tuple[re.Pattern[str], int]] = []
        content: list[tuple[frozenset[str], tuple[Detector, ...], int]] = []
        for i, (single, quick) in enumerate(singles):
            if single is None or (single.kind == "content" and not scanned):
                each.append((i, quick))
            elif single.kind == "bytes":
                sizes.append((single.threshold, i))
            elif single.kind == "max_tokens":
                tokens.append((single.threshold, i))
            elif single.kind == "window":
                assert single.window is not None
                windows.setdefault(id(single.window), (single.window, []))[1].append(i)
            elif single.kind == "tools":
                assert single.tools is not None
                globs.append((single.tools, i))
            else:
                keys = frozenset(d.key for d in single.detectors)
                content.append((keys, single.detectors, i))
        combined = "|".join(f"(?:{p.pattern})" for p, _ in globs)
        return cls(
            tuple(each),
            _ascending(sizes),
            _ascending(tokens),
            tuple((w, tuple(ids)) for w, ids in windows.values()),
            re.compile(combined) if globs else None,
            tuple(globs),
            frozenset(k for keys, _, _ in content for k in keys),
            tuple(content),
        )

    def survivors(self, f: Facts, scanner: Scanner | None) -> list[int]:
        """Indices of the candidates whose screen passes, ascending (evaluation order)."""
        out = [i for i, quick in self.each if quick is None or quick(f, scanner)]
        thresholds, ids = self.sizes
        if ids:
            out += ids[: bisect_left(thresholds, f.request_bytes)]  # size > threshold
        thresholds, ids = self.max_tokens
        if ids:
            out += ids if f.max_tokens is None else ids[: bisect_left(thresholds, f.max_tokens)]
        for window, in_it in self.windows:
            if f.in_window(window):
                out += in_it
        if self.tools is not None:
            out += self._tools(f, self.tools)
        if self.content and scanner is not None:
            out += self._content(f, scanner)
        if len(out) > 1:
            out.sort()
        return out

    def _tools(self, f: Facts, combined: re.Pattern[str]) -> list[int]:
        names = [t for t in f.tools_lower() if combined.match(t)]
        if not names:
            return []
        return [i for glob, i in self.tool_globs if any(glob.match(t) for t in names)]

    def _content(self, f: Facts, scanner: Scanner) -> list[int]:
        hits = f.scanned(scanner)
        if hits.isdisjoint(self.content_keys):
            return []  # the call's one scan found none of them (the usual case)
        return [
            i
            for keys, detectors, i in self.content
            if not hits.isdisjoint(keys) and any(f.contains(d, scanner) for d in detectors)
        ]


def _ascending(pairs: list[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    pairs.sort()
    return tuple(t for t, _ in pairs), tuple(i for _, i in pairs)
