"""``/healthz`` latency while 8 clients flood the login with wrong passwords.

The attack in issue 13: 8 parallel wrong-password logins pushed ``/healthz`` p50 from <40 ms to
399 ms, because argon2 ran on the default executor without a bound and took every core. This
starts a real ``agentops serve`` (production argon2 parameters, PostgreSQL, no Redis) twice:
with the default hashing bound, and with the bound lifted (``--compare``), and prints the p50 of
``/healthz`` idle and under the flood, and their ratio. The failed-login limits are raised out
of the way so that every login really hashes: this measures the hashing bound alone.

    .venv/bin/python bench/login_flood.py [--compare]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.control_plane.serving import serve_env, serve_processes
from tests.harness.databases import cloned_database, migrated_template
from tests.harness.servers import postgres_server

FLOODERS = 8
SAMPLES = 60


async def _healthz_p50(http: aiohttp.ClientSession, url: str) -> float:
    times = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        async with http.get(url + "/healthz") as response:
            await response.read()
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    return statistics.median(times)


async def _flood(
    http: aiohttp.ClientSession, url: str, stop: asyncio.Event, seen: Counter[int]
) -> None:
    body = {"email": "victim@example.com", "password": "wrong guess"}
    while not stop.is_set():
        async with http.post(url + "/api/v1/auth/login", json=body) as response:
            await response.read()
            seen[response.status] += 1


async def measure(url: str) -> tuple[float, float, Counter[int]]:
    async with aiohttp.ClientSession() as http:
        await _healthz_p50(http, url)  # warm-up
        idle = await _healthz_p50(http, url)
        stop, seen = asyncio.Event(), Counter[int]()
        flooders = [asyncio.create_task(_flood(http, url, stop, seen)) for _ in range(FLOODERS)]
        await asyncio.sleep(1.0)
        loaded = await _healthz_p50(http, url)
        stop.set()
        await asyncio.gather(*flooders)
    return idle, loaded, seen


def run(label: str, database_url: str, home: Path, **auth: str) -> None:
    extra = {
        "AGENTOPS_CONTROL_PLANE__PASSWORD_HASH_FAST": "false",
        "AGENTOPS_CONTROL_PLANE__AUTH__LOGIN_FAILURES_PER_ACCOUNT": "1000000",
        "AGENTOPS_CONTROL_PLANE__AUTH__LOGIN_FAILURES_PER_ADDRESS": "1000000",
        "AGENTOPS_LOG_LEVEL": "WARNING",
    } | {f"AGENTOPS_CONTROL_PLANE__AUTH__{k.upper()}": v for k, v in auth.items()}
    env = serve_env(database_url, None, home, **extra)
    with serve_processes(env, home / label) as (served,):
        idle, loaded, seen = asyncio.run(measure(served.url))
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(seen.items()))
    print(
        f"{label:<10} /healthz p50 idle {idle:6.1f} ms, during {FLOODERS} parallel wrong logins "
        f"{loaded:6.1f} ms, ratio {loaded / idle:4.2f}x   (login answers {answers})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run with the bound lifted")
    args = parser.parse_args()
    with (
        postgres_server() as pg,
        migrated_template(pg, "bench-login") as template,
        cloned_database(pg, template) as name,
        tempfile.TemporaryDirectory() as tmp,
    ):
        url = pg.database_url(name)
        run("bounded", url, Path(tmp))
        if args.compare:
            run(
                "unbounded",
                url,
                Path(tmp),
                password_hash_concurrency="64",
                password_hash_queue="1000",
            )


if __name__ == "__main__":
    main()
