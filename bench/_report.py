"""Figures of one benchmark cell, the printed table, and the issue's targets checked against them."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from _load import Sample

Key = tuple[str, str, int]  # (target, kind: json | sse | paced, concurrency)


@dataclass(frozen=True, slots=True)
class Figures:
    rps: float
    p50: float  # ms
    p99: float
    ttft50: float | None
    ttft99: float | None
    cpu_ms: float | None  # server CPU milliseconds per call
    errors: int
    # Share of the window the server's event loop was runnable but not running: starved by the
    # machine's other load. Calls/s of servers with different shares are not comparable.
    runq_wait: float | None = None
    first_error: str = ""
    # CPU milliseconds per call of the server's child processes (the OpenTelemetry exporter),
    # apart from ``cpu_ms``, the server process's own.
    child_cpu_ms: float | None = None


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def window_figures(
    sample: Sample,
    cpu_seconds: float | None,
    runq_wait: float | None = None,
    child_cpu_seconds: float | None = None,
) -> Figures | None:
    n = len(sample.latencies)
    if n == 0:
        return None
    return Figures(
        rps=n / sample.elapsed,
        p50=_pct(sample.latencies, 0.50),
        p99=_pct(sample.latencies, 0.99),
        ttft50=_pct(sample.ttfts, 0.50) if sample.ttfts else None,
        ttft99=_pct(sample.ttfts, 0.99) if sample.ttfts else None,
        cpu_ms=None if cpu_seconds is None else cpu_seconds * 1000 / n,
        errors=sample.errors,
        first_error=sample.first_error,
        runq_wait=runq_wait,
        child_cpu_ms=None if child_cpu_seconds is None else child_cpu_seconds * 1000 / n,
    )


def median_figures(windows: list[Figures]) -> Figures:
    """The median of each figure over the repeated windows (errors are summed)."""

    def med(values: Iterable[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None

    return Figures(
        rps=statistics.median(w.rps for w in windows),
        p50=statistics.median(w.p50 for w in windows),
        p99=statistics.median(w.p99 for w in windows),
        ttft50=med(w.ttft50 for w in windows),
        ttft99=med(w.ttft99 for w in windows),
        cpu_ms=med(w.cpu_ms for w in windows),
        errors=sum(w.errors for w in windows),
        first_error=next((w.first_error for w in windows if w.first_error), ""),
        runq_wait=med(w.runq_wait for w in windows),
        child_cpu_ms=med(w.child_cpu_ms for w in windows),
    )


def _f(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _d(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a - b:+.2f}"


HEADER = (
    "| target | kind | conc | calls/s | p50 ms | p99 ms | TTFT p50 | TTFT p99 | CPU ms/call "
    "| child CPU ms/call | calls/s vs floor | +p50/+p99 vs direct | +p50/+p99 vs floor "
    "| runq wait | errors |"
)
# Each target's floor: the lean pass-through reached the same way (reverse or forward TLS).
FLOOR = {"reverse": "floor", "reverse-otel": "floor", "litellm": "floor", "floor": "floor",
         "forward-tls": "floor-tls", "floor-tls": "floor-tls"}  # fmt: skip


def table(results: dict[Key, Figures]) -> str:
    lines = [HEADER, "|" + "---|" * 15]
    for (target, kind, conc), f in results.items():
        direct = results.get(("direct", kind, conc))
        floor = results.get((FLOOR.get(target, ""), kind, conc))
        ratio = f"{f.rps / floor.rps:.2f}" if floor else "-"
        vs_direct = f"{_d(f.p50, direct and direct.p50)} / {_d(f.p99, direct and direct.p99)}"
        vs_floor = f"{_d(f.p50, floor.p50)} / {_d(f.p99, floor.p99)}" if floor else "-"
        lines.append(
            f"| {target} | {kind} | {conc} | {f.rps:,.0f} | {f.p50:.2f} "
            f"| {f.p99:.2f} | {_f(f.ttft50)} | {_f(f.ttft99)} | {_f(f.cpu_ms, '{:.3f}')} "
            f"| {_f(f.child_cpu_ms, '{:.3f}')} | {ratio} | {vs_direct} | {vs_floor} | {_f(f.runq_wait, '{:.0%}')} | {f.errors} |"
        )
    return "\n".join(lines)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def targets(results: dict[Key, Figures]) -> list[str]:
    """Issue 19's targets (and issue 17's OpenTelemetry one), each with its figures and PASS or
    FAIL; a target whose rows were not measured is left out."""
    r = results.get
    out: list[str] = []
    direct, floor, ours = (
        r(("direct", "json", 1)),
        r(("floor", "json", 1)),
        r(("reverse", "json", 1)),
    )
    if direct and floor and ours:
        added, floor_added = ours.p50 - direct.p50, floor.p50 - direct.p50
        out.append(
            f"added p50 at c=1 {added:+.2f} ms <= floor's {floor_added:+.2f} + 0.2: "
            f"{_verdict(added <= floor_added + 0.2)}"
        )
        added99 = ours.p99 - direct.p99
        out.append(f"added p99 at c=1 {added99:+.2f} ms <= 2.5: {_verdict(added99 <= 2.5)}")
    for kind, name, floor_name in (
        ("json", "reverse", "floor"),
        ("sse", "reverse", "floor"),
        ("json", "forward-tls", "floor-tls"),
    ):
        for (t, k, conc), f in results.items():
            base = r((floor_name, kind, conc))
            if t == name and k == kind and base:
                ratio = f.rps / base.rps
                out.append(
                    f"{name} {kind} c={conc}: {f.rps:,.0f} calls/s = {ratio:.2f} of the floor's "
                    f"{base.rps:,.0f} (>= 0.9): {_verdict(ratio >= 0.9)}"
                )
                if f.cpu_ms and base.cpu_ms:
                    # Calls per core-second: what one saturated core gives, robust to a
                    # shared machine's load (a server starved of its core shows few calls/s).
                    per_core = base.cpu_ms / f.cpu_ms
                    out.append(
                        f"{name} {kind} c={conc}: CPU {f.cpu_ms:.3f} vs the floor's "
                        f"{base.cpu_ms:.3f} ms per call = {per_core:.2f} of its calls per "
                        f"core-second (>= 0.9): {_verdict(per_core >= 0.9)}"
                    )
    for (t, k, conc), f in results.items():
        mine = r(("reverse", k, conc))
        # A paced stream's calls/s is the upstream's pace (one event per ms), not the proxy's:
        # it is compared by its added first token below, not by calls/s. (LiteLLM answers a
        # paced stream sooner than the upstream sends it whole: it does not relay it as is.)
        if t == "litellm" and mine and k != "paced":
            out.append(
                f"vs LiteLLM {k} c={conc}: {mine.rps / f.rps:.1f}x its calls/s (>= 10): "
                f"{_verdict(mine.rps >= 10 * f.rps)}"
            )
    lite = r(("litellm", "json", 1))
    if lite and direct and ours:
        added, lite_added = ours.p50 - direct.p50, lite.p50 - direct.p50
        out.append(
            f"added p50 at c=1 {added:.2f} ms vs LiteLLM's {lite_added:.2f} (<= 1/10): "
            f"{_verdict(added <= lite_added / 10)}"
        )
    for conc in (1, 16):
        d, fl, me = (
            r(("direct", "paced", conc)),
            r(("floor", "paced", conc)),
            r(("reverse", "paced", conc)),
        )
        if d and fl and me and d.ttft50 and fl.ttft50 and me.ttft50:
            added, floor_added = me.ttft50 - d.ttft50, fl.ttft50 - d.ttft50
            out.append(
                f"paced stream c={conc}: added first token p50 {added:+.2f} ms <= floor's "
                f"{floor_added:+.2f} + 0.5: {_verdict(added <= floor_added + 0.5)}"
            )
    for conc in (1, 16, 64):
        on, off = r(("reverse-otel", "json", conc)), r(("reverse", "json", conc))
        if on and off and direct and conc == 1:
            added_on, added_off = on.p50 - direct.p50, off.p50 - direct.p50
            grow = (added_on - added_off) / added_off * 100 if added_off > 0 else 0.0
            out.append(
                f"OpenTelemetry export on vs off, c=1: added p50 {added_on:.2f} vs "
                f"{added_off:.2f} ms ({grow:+.1f}%, <= 5%): {_verdict(grow <= 5)}"
            )
        if on and off:
            out.append(
                f"OpenTelemetry export on vs off, c={conc}: calls/s {on.rps / off.rps:.2f}x, "
                f"proxy process CPU/call {_f(on.cpu_ms, '{:.3f}')} vs "
                f"{_f(off.cpu_ms, '{:.3f}')} ms, exporter process "
                f"{_f(on.child_cpu_ms, '{:.3f}')} ms"
            )
    return out
