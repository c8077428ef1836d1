"""The OpenTelemetry exporter process's life, with real processes: killed, it is restarted while
the proxy keeps serving (the calls meanwhile counted as dropped, one log line per exit); a dead or
silent collector is its problem alone; it exits with the proxy, stopped or killed outright, and is
never left behind."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from agentops.settings import Settings
from tests.fakeprovider.server import FakeProvider
from tests.harness.cluster import PROXY_MAIN, wait_for
from tests.harness.otlp import Receiver
from tests.harness.ports import free_port
from tests.proxy.helpers import chat, serving

RUN = "X-AgentOps-Run-Id"
EXITED = "OpenTelemetry exporter process exited; calls are dropped until it restarts"


def exporters(pid: int) -> list[int]:
    """The OpenTelemetry exporter processes ``pid`` started (``/proc``: its children)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        for child in children:
            try:
                argv = command_line(int(child)).split(b"\0")
            except OSError:
                continue
            if b"proxy.telemetry" in argv:
                found.append(int(child))
    return found


def command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by its new parent, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def dropped() -> float:
    return REGISTRY.get_sample_value("agentops_proxy_otel_dropped_calls_total") or 0.0


async def test_a_killed_exporter_is_restarted_while_the_proxy_keeps_serving(
    otel_settings: Callable[[str], Settings],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "proxy.telemetry")
    served = 0
    async with serving(otel_settings(receiver.url)) as address:
        await chat(address, **{RUN: "before"})
        [killed] = exporters(os.getpid())
        # The endpoint may carry credentials: never on a command line, readable by all users.
        assert receiver.url.encode() not in command_line(killed)
        before = dropped()
        os.kill(killed, signal.SIGKILL)

        async def restarted() -> list[int]:
            nonlocal served
            await chat(address, **{RUN: "meanwhile"})  # answered while no exporter runs
            served += 1
            return [pid for pid in exporters(os.getpid()) if pid != killed]

        await wait_for(restarted)
        [restart] = exporters(os.getpid())
        await chat(address, **{RUN: "after"})
    # Stopped: the restarted exporter exported what it was handed, then exited.
    assert served > 1
    assert dropped() > before  # the calls made while no exporter ran: counted, not logged
    assert [r.getMessage() for r in caplog.records].count(EXITED) == 1
    assert "after" in receiver.runs()
    assert not alive(killed)
    assert not alive(restart)
    assert exporters(os.getpid()) == []


@pytest.mark.parametrize("collector", ["refusing", "silent"])
async def test_a_dead_or_silent_collector_is_the_exporters_problem_alone(
    otel_settings: Callable[[str], Settings], collector: str
) -> None:
    """``refusing``: nothing listens; ``silent``: the connection is taken, never answered. The
    calls are handed off as usual (none dropped) and stopping still ends the exporter (its
    flush gives up at its own deadline)."""
    with socket.socket() as endpoint:
        endpoint.bind(("127.0.0.1", 0))
        if collector == "silent":
            endpoint.listen(64)
        host, port = endpoint.getsockname()
        before = dropped()
        async with serving(otel_settings(f"http://{host}:{port}")) as address:
            [exporter] = exporters(os.getpid())
            for i in range(20):
                await chat(address, **{RUN: f"run-{i}"})
    assert dropped() == before
    assert not alive(exporter)
    assert exporters(os.getpid()) == []


async def test_a_proxy_killed_outright_leaves_no_exporter_behind(
    tmp_path: Path, fake_provider: FakeProvider, receiver: Receiver
) -> None:
    """``kill -9`` of the proxy: the kernel closes its end of the pipe, the exporter reads end
    of file and exits."""
    inherited = os.environ.items()  # noqa: TID251 (a child's environment, not our config)
    env = {k: v for k, v in inherited if not k.startswith("AGENTOPS_")}
    env |= {"AGENTOPS_HOME": str(tmp_path), "AGENTOPS_LOG_FORMAT": "text",
            "AGENTOPS_PROXY__OTLP_ENDPOINT": receiver.url, "AGENTOPS_PROXY__ADMIN_PORT": "0"}  # fmt: skip
    reverse_port = free_port()
    proxy = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROXY_MAIN, "--listen", "127.0.0.1:0",
        "--reverse-port", str(reverse_port), "--upstream", f"api.openai.com={fake_provider.url}",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proxy.stdout is not None
        async with asyncio.timeout(60):  # a hang guard, not a measure
            while (line := await proxy.stdout.readline()) and line.strip() != b"ready":
                pass
        assert line, "the proxy exited before it was ready"
        [exporter] = exporters(proxy.pid)
        await chat(("127.0.0.1", reverse_port))
    finally:
        proxy.kill()
        await proxy.wait()
    await wait_for(lambda: not alive(exporter))
