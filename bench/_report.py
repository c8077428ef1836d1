"""Figures of one benchmark cell, the printed table, and the issue's targets checked against them."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from _load import Sample

Key = tuple[str, bool, int]  # (target, streaming, concurrency)


@dataclass(frozen=True, slots=True)
class Figures:
    rps: float
    p50: float  # ms
    p99: float
    ttft50: float | None
    ttft99: float | None
    cpu_ms: float | None  # server CPU milliseconds per call
    errors: int
    first_error: str = ""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def window_figures(sample: Sample, cpu_seconds: float | None) -> Figures | None:
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
    )


def _f(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _d(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a - b:+.2f}"


HEADER = (
    "| target | stream | conc | req/s | p50 ms | p99 ms | TTFT p50 | TTFT p99 | CPU ms/call "
    "| req/s vs direct | +p50/+p99 vs direct | +p50/+p99 vs pass-through | errors |"
)


def table(results: dict[Key, Figures]) -> str:
    lines = [HEADER, "|" + "---|" * 13]
    for (target, stream, conc), f in results.items():
        direct = results.get(("direct", stream, conc))
        passthrough = results.get(("passthrough", stream, conc))
        ratio = f"{f.rps / direct.rps:.2f}" if direct else "-"
        vs_direct = f"{_d(f.p50, direct and direct.p50)} / {_d(f.p99, direct and direct.p99)}"
        vs_pass = (
            f"{_d(f.p50, passthrough.p50)} / {_d(f.p99, passthrough.p99)}" if passthrough else "-"
        )
        lines.append(
            f"| {target} | {'sse' if stream else 'json'} | {conc} | {f.rps:,.0f} | {f.p50:.2f} "
            f"| {f.p99:.2f} | {_f(f.ttft50)} | {_f(f.ttft99)} | {_f(f.cpu_ms, '{:.3f}')} "
            f"| {ratio} | {vs_direct} | {vs_pass} | {f.errors} |"
        )
    return "\n".join(lines)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def targets(results: dict[Key, Figures]) -> list[str]:
    """The issue's targets, each with the measured figure and MET / NOT MET."""
    r = results.get
    out: list[str] = []
    rev1, pas1 = r(("reverse", False, 1)), r(("passthrough", False, 1))
    if rev1 and pas1:
        d50, d99 = rev1.p50 - pas1.p50, rev1.p99 - pas1.p99
        out.append(
            f"metering overhead at c=1 (reverse - pass-through): {d50:+.3f} ms p50 (<= 0.5), "
            f"{d99:+.3f} ms p99 (<= 2): {_verdict(d50 <= 0.5 and d99 <= 2)}"
        )
    for name, floor in (("reverse", 1000), ("forward-tls", 650)):
        best = max((f.rps for (t, s, _), f in results.items() if t == name and not s), default=0)
        if best:
            out.append(
                f"{name} metered json calls/s on one core (best concurrency): {best:,.0f} "
                f"(>= {floor}): {_verdict(best >= floor)}"
            )
    lite = max((f.rps for (t, s, _), f in results.items() if t == "litellm" and not s), default=0)
    ours = max((f.rps for (t, s, _), f in results.items() if t == "reverse" and not s), default=0)
    dir1, lite1 = r(("direct", False, 1)), r(("litellm", False, 1))
    if lite and ours and dir1 and lite1 and rev1:
        ours_add, lite_add = rev1.p50 - dir1.p50, lite1.p50 - dir1.p50
        out.append(
            f"vs LiteLLM: {ours / lite:.1f}x its calls/s (>= 10x): {_verdict(ours >= 10 * lite)}; "
            f"added p50 {ours_add:.2f} ms vs its {lite_add:.2f} ms (<= 1/10): "
            f"{_verdict(ours_add <= lite_add / 10)}"
        )
    else:
        out.append("vs LiteLLM: n/a (not measured)")
    otel1, dir1 = r(("reverse-otel", False, 1)), r(("direct", False, 1))
    if otel1 and rev1 and dir1:
        off, on = rev1.p50 - dir1.p50, otel1.p50 - dir1.p50
        grow = (on - off) / off * 100 if off > 0 else 0.0
        best_on = max((f.rps for (t, s, _), f in results.items() if t == "reverse-otel" and not s))
        out.append(
            f"OpenTelemetry export on vs off (same run): added p50 {on:.3f} vs {off:.3f} ms at "
            f"c=1 ({grow:+.1f}%, <= 5%): {_verdict(grow <= 5)}; calls/s {best_on / ours:.2f}x"
        )
    dttft = r(("direct", True, 1))
    for name in ("reverse", "forward-tls"):
        f = r((name, True, 1))
        if f and dttft and f.ttft50 is not None and dttft.ttft50 is not None:
            d = f.ttft50 - dttft.ttft50
            out.append(f"TTFT p50 at c=1, {name} - direct: {d:+.2f} ms (<= 2): {_verdict(d <= 2)}")
    return out
