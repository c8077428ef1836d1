"""What does metering cost? The product as deployed against the floor of anything built on
mitmproxy, in one interleaved run, against a fast local mock upstream (issue 19).

Processes, pinned with ``taskset`` on a 2-core machine:

- core 1: the servers under test, each its own process on uvloop under ``python -O`` with the
  collector settled as the CLI settles it (the image sets ``PYTHONOPTIMIZE=1``): the metered
  proxy (``ProxyService`` with default settings: full pipeline, records to a temp spool,
  ``durable_before_response`` at its default, JSON logs), the same with OpenTelemetry export on,
  the floor (a stock mitmproxy with only its core addons and a tee addon that parses the JSON
  bodies and every SSE event, ``_servers.py``) and, with ``--litellm-venv``, LiteLLM's proxy;
- core 0: this script (the load generator, raw asyncio on uvloop) and the mock upstream.

Every call is the same ~2.5 KB chat request (system prompt, history, one tool). Kinds: ``json``
(non-streamed), ``sse`` (a full 50-event stream, sent at once), ``paced`` (the same stream, one
event per ms: the added time to the first token). Targets: ``direct`` (the mock), ``floor`` and
``reverse`` (reverse endpoints), ``floor-tls`` and ``forward-tls`` (CONNECT + TLS interception,
kept-alive), ``reverse-otel`` (export on), ``litellm``, at concurrency 1, 16 and 64; with
``--baseline TREE``, ``reverse-base`` and ``forward-tls-base`` are another checkout's metered
proxy (a before/after in one run).
``--repeats`` rounds per cell, each running one ``--duration`` window of every target in turn
(after a warm-up), so that a slow spell of the shared machine hits all targets alike; every
figure is the median over the rounds, and the targets are checked on ratios to the floor
measured in the same rounds (PASS / FAIL). Server CPU per call comes from ``/proc/<pid>/stat``
(utime+stime) at the window edges, the server process's own and, in a column apart, its child
processes' (the OpenTelemetry exporter); RSS (VmRSS) is read at start and end.

    .venv/bin/python bench/proxy_bench.py [--quick] [--duration S] [--repeats N]
        [--litellm-venv bench/.venv-litellm] [--soak SECONDS] [--only reverse,...]
        [--concurrency 1,16,64] [--kinds json,sse,paced]
        [--rules 100 --only reverse-rules0,reverse-rules100] [--baseline TREE] [--glibc]

The metered proxies run on the image's allocator (jemalloc, ``IMAGE_MALLOC``) when this machine
has it; ``--glibc`` runs them on glibc's malloc.

``BENCH_GC_YOUNG=20000`` in the environment raises the collector's young threshold of the
mitmproxy-based servers (the A/B of ``agentops/heap.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes.util
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _procs
from _load import API_KEY, Kind, Target, run_load
from _procs import Server
from _report import Figures, Key, median_figures, table, targets, window_figures

BENCH = Path(__file__).resolve().parent
PY = sys.executable
SERVER_CORE, LOAD_CORE = 1, 0
CONCURRENCIES = (1, 16, 64)
LITELLM_CONFIG = """\
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:{port}/v1
      api_key: sk-bench
general_settings:
  master_key: {key}
litellm_settings:
  telemetry: false
  drop_params: true
"""


def start_servers(args: argparse.Namespace, tmp: Path) -> tuple[int, dict[str, Server]]:
    mock = _procs.start("mock", [PY, str(BENCH / "_mock_upstream.py")], LOAD_CORE, tmp / "mock.log")
    port = int(mock.info["port"])
    servers = {"mock": mock}
    try:
        _start_proxies(args, tmp, port, servers)
    except BaseException:
        for s in servers.values():
            s.stop()
        raise
    return port, servers


def _start_proxies(
    args: argparse.Namespace, tmp: Path, port: int, servers: dict[str, Server]
) -> None:
    # As deployed (the image sets PYTHONOPTIMIZE=1): mitmproxy's per-message type checks are
    # debug-only (``if __debug__``). Both proxies run the same way, so the ratios stay fair.
    runner = [PY, *([] if args.debug_python else ["-O"]), str(BENCH / "_servers.py")]
    common = ["--mock-port", str(port), "--home", str(tmp)]
    malloc = _image_malloc(args)
    servers["metered"] = _procs.start(
        "metered", [*runner, "metered", *common], SERVER_CORE, tmp / "metered.log", env=malloc
    )
    # The same metered proxy with OpenTelemetry export on, to the mock (it answers 200 to
    # OTLP posts too): the "reverse-otel" row against "reverse" is the cost of the export.
    otel_home = tmp / "otel"
    otel_home.mkdir()
    servers["metered-otel"] = _procs.start(
        "metered-otel",
        [*runner, "metered", "--mock-port", str(port), "--home", str(otel_home),
         "--otlp", f"http://127.0.0.1:{port}"],
        SERVER_CORE,
        tmp / "metered-otel.log",
        env=malloc,
    )  # fmt: skip
    servers["floor"] = _procs.start(
        "floor", [*runner, "floor", *common], SERVER_CORE, tmp / "floor.log"
    )
    # Gated from a control state with 0 and with N policies: "reverse-rules0" against
    # "reverse-rulesN" is what the policies cost (the plain "reverse" has no control state).
    for count in (0, args.rules) if args.rules else ():
        home = tmp / f"rules{count}"
        home.mkdir()
        servers[f"rules{count}"] = _procs.start(
            f"rules{count}",
            [*runner, "metered", "--mock-port", str(port), "--home", str(home),
             "--policies", str(count)],
            SERVER_CORE,
            tmp / f"rules{count}.log",
            env=malloc,
        )  # fmt: skip
    if args.baseline:
        # Another checkout's metered proxy (e.g. main's tree, ``git archive main``) on the same
        # venv: "reverse-base" against "reverse" is a before/after in one interleaved run.
        home = tmp / "baseline"
        home.mkdir()
        runner_base = [PY, *runner[1:-1], str(args.baseline / "bench" / "_servers.py")]
        servers["baseline"] = _procs.start(
            "baseline",
            [*runner_base, "metered", "--mock-port", str(port), "--home", str(home)],
            SERVER_CORE,
            tmp / "baseline.log",
            env=malloc,
        )
    if args.litellm_venv:
        config = tmp / "litellm.yaml"
        config.write_text(LITELLM_CONFIG.format(port=port, key=API_KEY))
        servers["litellm"] = _procs.start_litellm(
            args.litellm_venv, config, _procs.free_port(), SERVER_CORE, tmp / "litellm.log"
        )


# The allocator the image runs its processes on (Dockerfile: LD_PRELOAD, MALLOC_CONF,
# PYTHONMALLOC), given to the metered proxies when this machine has jemalloc (Debian:
# libjemalloc2) unless --glibc; the floor runs as stock mitmproxy does, on glibc's malloc.
IMAGE_MALLOC = {
    "LD_PRELOAD": "libjemalloc.so.2",
    "MALLOC_CONF": "narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0",
    "PYTHONMALLOC": "malloc",
}


def _image_malloc(args: argparse.Namespace) -> dict[str, str] | None:
    if args.glibc or ctypes.util.find_library("jemalloc") is None:
        print("metered proxies on glibc's malloc (the image runs them on jemalloc)")
        return None
    return IMAGE_MALLOC


ALL_KINDS, JSON_ONLY = ("json", "sse", "paced"), ("json",)


def make_targets(
    mock_port: int, servers: dict[str, Server]
) -> list[tuple[Target, Server | None, tuple[Kind, ...]]]:
    """(target, the server whose CPU it costs, the kinds of call it is driven with)."""
    metered, floor = servers["metered"], servers["floor"]
    chat = "/v1/chat/completions"

    def at(name: str, server: Server, path: str, listener: str = "reverse") -> Target:
        host, port = server.info[listener]
        if listener == "reverse":
            return Target(name, host, port, path)
        bundle = Path(server.info["bundle"])
        return Target(name, host, port, path, tls_via_proxy=True, bundle=bundle)

    out: list[tuple[Target, Server | None, tuple[Kind, ...]]] = [
        (Target("direct", "127.0.0.1", mock_port, chat), None, ALL_KINDS),
        (at("floor", floor, chat), floor, ALL_KINDS),
        (at("reverse", metered, "/openai" + chat), metered, ALL_KINDS),
        (at("floor-tls", floor, chat, "forward"), floor, JSON_ONLY),
        (at("forward-tls", metered, chat, "forward"), metered, JSON_ONLY),
        (at("reverse-otel", servers["metered-otel"], "/openai" + chat), servers["metered-otel"],
         JSON_ONLY),
    ]  # fmt: skip
    for name in [n for n in servers if n.startswith("rules")]:
        out.append(
            (at(f"reverse-{name}", servers[name], "/openai" + chat), servers[name], ALL_KINDS)
        )
    if "baseline" in servers:
        base = servers["baseline"]
        out.append((at("reverse-base", base, "/openai" + chat), base, ALL_KINDS))
        out.append((at("forward-tls-base", base, chat, "forward"), base, JSON_ONLY))
    if "litellm" in servers:
        out.append((at("litellm", servers["litellm"], chat), servers["litellm"], ALL_KINDS))
    return out


async def measure(
    target: Target,
    server: Server | None,
    kind: Kind,
    conc: int,
    warmup: float,
    duration: float,
) -> Figures | None:
    """One measuring window of ``duration`` seconds after ``warmup``; None if no call succeeded."""
    cpu: list[tuple[float, float]] = []
    waited: list[float] = []

    def boundary(_k: int) -> None:
        if server is not None:
            cpu.append(server.cpu_seconds())
            waited.append(server.runqueue_wait_seconds())

    samples = await run_load(
        target,
        kind=kind,
        concurrency=conc,
        warmup=warmup,
        duration=duration,
        windows=1,
        at_boundary=boundary,
    )
    errors = [s.first_error for s in samples if s.first_error]
    if not any(s.latencies for s in samples) and errors:
        print(f"  {target.name}: {errors[0]}", flush=True)
    used = children = None
    if server is not None and len(cpu) > 1:
        used, children = cpu[1][0] - cpu[0][0], cpu[1][1] - cpu[0][1]
    wait = (waited[1] - waited[0]) / duration if len(waited) > 1 else None
    return window_figures(samples[0], used, wait, children)


async def run_matrix(args: argparse.Namespace, tmp: Path) -> None:
    """Each cell (stream, concurrency) is measured in rounds: every round runs one window of
    each target in turn, so a slow spell of the machine (a noisy neighbour on the host) falls
    on all targets alike instead of on whichever ran then; every other round runs them in
    reverse order. Figures are medians over rounds."""
    load_start = _load_average()
    mock_port, servers = start_servers(args, tmp)
    try:
        rss_start = {name: s.rss_mib() for name, s in servers.items()}
        results: dict[Key, Figures] = {}
        targets_ = [
            entry
            for entry in make_targets(mock_port, servers)
            if not args.only or entry[0].name in args.only
        ]
        for kind in args.kinds:
            for conc in args.concurrency:
                if kind == "paced" and conc > 16:
                    continue  # a paced stream lasts ~50 ms: c=64 would measure the mock's pacing
                cell = [(t, srv) for t, srv, kinds in targets_ if kind in kinds]
                windows: dict[str, list[Figures]] = {t.name: [] for t, _ in cell}
                for round_ in range(args.repeats):
                    # Every other round runs the targets in reverse, so that no target always
                    # follows the same one (a target run right after another inherits its
                    # warm caches and its scheduler state).
                    for target, server in cell if round_ % 2 == 0 else cell[::-1]:
                        warmup = args.warmup if round_ == 0 else min(args.warmup, 0.5)
                        f = await measure(target, server, kind, conc, warmup, args.duration)
                        if f is not None:
                            windows[target.name].append(f)
                for target, _ in cell:
                    label = f"{target.name} {kind} c={conc}"
                    if not windows[target.name]:
                        print(f"  {label}: no successful calls", flush=True)
                        continue
                    f = median_figures(windows[target.name])
                    results[(target.name, kind, conc)] = f
                    err = f" errors={f.errors} {f.first_error}" if f.errors else ""
                    print(f"  {label}: {f.rps:,.0f}/s p50 {f.p50:.2f} ms{err}", flush=True)
        rss_end = {name: s.rss_mib() for name, s in servers.items()}
        otel = _otel_counts(servers["metered-otel"])
    finally:
        for s in servers.values():
            s.stop()
    print()
    print(f"load average at the start {load_start}, at the end {_load_average()}")
    print(table(results))
    print()
    print("RSS (MiB) at start -> end of the run:")
    for name in rss_start:
        print(f"  {name}: {rss_start[name]:.1f} -> {rss_end[name]:.1f}")
    print()
    per_call = otel["exporter_cpu"] * 1000 / otel["calls"] if otel["calls"] else 0.0
    print(
        "OpenTelemetry export (metered-otel, whole run): {calls:.0f} calls, {dropped:.0f} "
        "not handed to the exporter (dropped), {restarts:.0f} exporter restarts; exporter "
        "process CPU {exporter_cpu:.2f} s in all (its start-up included), "
        "{per_call:.3f} ms per call".format(**otel, per_call=per_call)
    )
    print()
    print("Targets:")
    for line in targets(results):
        print(f"  {line}")


SOAK_MIX = (("json", 8), ("sse", 4), ("no-usage", 2), ("cancel", 2))  # concurrency 16


async def run_soak(args: argparse.Namespace, tmp: Path) -> None:
    """Concurrency 16 on the metered reverse endpoint: 8 json, 4 sse, 2 streams without usage
    (the proxy counts their tokens) and 2 paced streams cancelled after their first chunk;
    RSS every 30 s, against the targets: <= 150 MiB, flat within 10% after warm-up."""
    mock_port, servers = start_servers(args, tmp)
    metered = servers["metered"]
    target = next(t for t, _, _ in make_targets(mock_port, servers) if t.name == "reverse")
    period = 30.0
    windows = max(1, int(args.soak // period))
    rss: list[float] = []

    def report(k: int) -> None:
        rss.append(metered.rss_mib())
        print(f"  t={k * period:5.0f}s  RSS {rss[-1]:.1f} MiB", flush=True)

    mix = ", ".join(f"{n} {kind}" for kind, n in SOAK_MIX)
    print(f"soak: {windows * period:.0f} s at concurrency 16 ({mix}), metered reverse")
    print(f"  startup RSS {metered.rss_mib():.1f} MiB")
    try:
        runs = [
            run_load(target, kind=kind, concurrency=n, warmup=5, duration=period,
                     windows=windows, at_boundary=report if kind == "json" else None)
            for kind, n in SOAK_MIX
        ]  # fmt: skip
        samples = [s for run in await asyncio.gather(*runs) for s in run]
    finally:
        for s in servers.values():
            s.stop()
    calls = sum(len(s.latencies) for s in samples)
    errors = sum(s.errors for s in samples)
    growth = (max(rss) - rss[0]) / rss[0] * 100
    print(f"  {calls:,} calls, {errors} errors, {calls / (windows * period):,.0f}/s")
    print(
        f"  RSS after warm-up {rss[0]:.1f} MiB, max {max(rss):.1f}, end {rss[-1]:.1f}: "
        f"+{growth:.1f}% (flat within 10%: {'PASS' if growth <= 10 else 'FAIL'}; "
        f"<= 150 MiB: {'PASS' if max(rss) <= 150 else 'FAIL'})"
    )


def _otel_counts(server: Server) -> dict[str, float]:
    """From the export-on proxy's /metrics: its calls, the calls its export dropped, the
    exporter's restarts; and the exporter process's CPU seconds since it started (work it
    deferred to idle time falls outside the measuring windows)."""
    host, port = server.info["admin"]
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError as exc:
        print(f"  metrics of {server.name} not read: {exc!r}")
        text = ""
    counts = {
        "calls": 0.0,
        "dropped": 0.0,
        "restarts": 0.0,
        "exporter_cpu": server.cpu_seconds()[1],
    }
    names = {"agentops_proxy_calls_total": "calls",
             "agentops_proxy_otel_dropped_calls_total": "dropped",
             "agentops_proxy_otel_exporter_restarts_total": "restarts"}  # fmt: skip
    for line in text.splitlines():
        name = line.split("{")[0].split(" ")[0]
        if name in names:
            counts[names[name]] += float(line.rsplit(" ", 1)[1])
    return counts


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 short window per cell, c=1 and 16")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per measuring window")
    p.add_argument("--repeats", type=int, default=3, help="windows per cell (median reported)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per cell")
    p.add_argument("--litellm-venv", type=Path, default=None, help="venv with litellm[proxy]")
    p.add_argument(
        "--debug-python",
        action="store_true",
        help="run the proxies without -O (mitmproxy's debug-only type checks on)",
    )
    p.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a checkout whose metered proxy runs as reverse-base and forward-tls-base",
    )
    p.add_argument("--soak", type=float, default=0, help="run only the RSS soak, for S seconds")
    p.add_argument(
        "--glibc", action="store_true", help="metered proxies on glibc's malloc, not the image's"
    )
    p.add_argument("--only", type=lambda s: s.split(","), default=None, help="targets to run")
    p.add_argument(
        "--rules",
        type=int,
        default=0,
        help="also run reverse-rules0 and reverse-rulesN: gated on 0 and N policies",
    )
    p.add_argument(
        "--kinds",
        type=lambda s: tuple(s.split(",")),
        default=("json", "sse", "paced"),
        help="kinds of call: json, sse (a full 50-event stream), paced (1 ms per event)",
    )
    p.add_argument(
        "--concurrency",
        type=lambda s: tuple(int(c) for c in s.split(",")),
        default=CONCURRENCIES,
        help="comma-separated worker counts (default 1,16,64)",
    )
    args = p.parse_args()
    if args.quick:
        args.duration, args.repeats, args.warmup = 1.5, 1, 0.5
        args.concurrency = (1, 16)
    return args


def main() -> None:
    args = parse_args()
    os.sched_setaffinity(0, {LOAD_CORE})
    with tempfile.TemporaryDirectory(prefix="agentops-bench-") as tmp:
        work = run_soak(args, Path(tmp)) if args.soak else run_matrix(args, Path(tmp))
        uvloop.run(work)


if __name__ == "__main__":
    main()
