"""`agentops up`: the whole product in one process, as the README's first command runs it.

A real subprocess on a temp home: it migrates SQLite, serves /healthz and /readyz, prints what an
agent needs, meters a call made by the official SDK through its proxy into the store, and stops
cleanly on Ctrl-C (SIGINT).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import openai
import pytest

from tests.fakeprovider.expected import served_model
from tests.fakeprovider.server import FakeProvider
from tests.harness.ports import free_port
from tests.harness.up import Up, start_up


@pytest.fixture
def up(tmp_path: Path, fake_provider_thread: FakeProvider) -> Iterator[Up]:
    running = start_up(tmp_path / "home", fake_provider_thread.url)
    try:
        yield running
    finally:
        running.kill()


def test_up_prints_what_an_agent_needs(up: Up) -> None:
    out = up.output
    assert f"{up.api}/api/v1" in out
    assert f"http://127.0.0.1:{up.ports['proxy']}   (HTTPS_PROXY)" in out
    assert f"http://127.0.0.1:{up.ports['reverse']}/openai/v1" in out
    bundle = up.home / "ca" / "agentops-ca-bundle.pem"
    assert f"export SSL_CERT_FILE={bundle}" in out
    assert f"export HTTPS_PROXY=http://127.0.0.1:{up.ports['proxy']}" in out
    assert "NODE_EXTRA_CA_CERTS" in out
    assert bundle.read_text().count("BEGIN CERTIFICATE") > 10  # system roots + our CA
    assert (up.home / "embedded-admin.json").stat().st_mode & 0o777 == 0o600
    log_file = up.home / "logs" / "agentops.log"
    assert f"logs            {log_file}   (here: warnings and errors only)" in out
    assert log_file.stat().st_size > 0  # INFO lines go to the file, not under the banner


def test_ca_env_prints_the_ports_of_the_running_up(up: Up) -> None:
    """`up --proxy-port N` writes its ports where `ca env` (and `agentops run`) read them."""
    for shell, line in (
        ("bash", f"export HTTPS_PROXY=http://bot:none@127.0.0.1:{up.ports['proxy']}"),
        ("dotenv", f"HTTPS_PROXY=http://bot:none@127.0.0.1:{up.ports['proxy']}"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", "from cli.main import main; main()", "ca", "env",
             "--agent", "bot", "--shell", shell],
            env={"AGENTOPS_HOME": str(up.home), "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert line in result.stdout.splitlines()
        assert "no running proxy" not in result.stderr
    assert ":8080" not in result.stdout


def test_up_serves_health_and_readiness_on_sqlite(up: Up) -> None:
    assert up.get("/healthz")[0] == 200
    status, body = up.get("/readyz")
    assert status == 200
    assert body["checks"] == {"database": "ok", "redis": "not configured"}


def test_a_call_through_the_embedded_proxy_is_answered_and_stored(up: Up) -> None:
    client = openai.OpenAI(
        api_key="sk-up-test-key",
        base_url=f"http://127.0.0.1:{up.ports['reverse']}/openai/v1",
        default_headers={"X-AgentOps-Agent": "laptop-agent", "X-AgentOps-Run-Id": "up-run-1"},
    )
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
    )
    assert reply.choices[0].message.content
    token = up.login()
    deadline = time.monotonic() + 20
    runs: list[dict[str, object]] = []
    while not runs and time.monotonic() < deadline:
        _, page = up.get("/api/v1/runs?agent=laptop-agent", token)
        runs = list(page["items"])  # type: ignore[call-overload]
        time.sleep(0.2)
    assert runs, "the call never reached the store"
    run = runs[0]
    assert run["run_id"] == "up-run-1"
    assert run["calls"] == 1
    assert reply.usage is not None
    assert run["input_tokens"] == reply.usage.prompt_tokens
    assert run["output_tokens"] == reply.usage.completion_tokens
    # One process, one registry, served once: by the control plane, not the proxy's admin port.
    with urllib.request.urlopen(f"{up.api}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert metrics.count("# TYPE agentops_build_info gauge") == 1
    model = served_model("gpt-4o-mini")
    assert (
        f'agentops_llm_tokens_total{{model="{model}",provider="openai",token_class="input"}}'
        in metrics
    )
    assert "agentops_api_requests_total" in metrics
    admin = f"http://127.0.0.1:{up.ports['admin']}"
    with urllib.request.urlopen(f"{admin}/healthz", timeout=10) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{admin}/metrics", timeout=10)
    assert missing.value.code == 404
    missing.value.close()


def test_a_kill_reaches_the_embedded_proxy_and_status_shows_it_applied(up: Up) -> None:
    client = openai.OpenAI(
        api_key="sk-up-test-key",
        base_url=f"http://127.0.0.1:{up.ports['reverse']}/openai/v1",
        default_headers={"X-AgentOps-Agent": "laptop-agent"},
        max_retries=0,
    )
    token = up.login()
    up.post("/api/v1/emergency/kill", {"scope": "agent", "target": "laptop-agent", "create": True,
                                       "reason": "drill INC-1"}, token)  # fmt: skip

    with pytest.raises(openai.PermissionDeniedError, match="drill INC-1"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
    # The proxy's heartbeat may predate the kill: wait for one reporting the kill's version.
    deadline = time.monotonic() + 20
    proxies: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        proxies = list(up.get("/api/v1/emergency", token)[1]["proxies"])  # type: ignore[call-overload]
        if proxies and all(p["applied"] for p in proxies):
            break
        time.sleep(0.2)
    assert [p["applied"] for p in proxies] == [True]


def test_up_stops_cleanly_on_ctrl_c(up: Up) -> None:
    up.proc.send_signal(signal.SIGINT)
    out, _ = up.proc.communicate(timeout=30)
    assert up.proc.returncode == 0
    assert "stopped" in out
    assert not (up.home / "proxy-runtime.json").exists()  # ca env no longer points at it


def test_a_port_already_taken_is_a_clear_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", "from cli.main import main; main()", "up",
             "--port", str(free_port()), "--proxy-port", str(port),
             "--reverse-port", str(free_port())],
            env={"AGENTOPS_HOME": str(tmp_path), "AGENTOPS_PROXY__ADMIN_PORT": "0",
                 "AGENTOPS_LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"{port}" in result.stderr
    assert "another process is listening there" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_signs_in_as_the_embedded_admin_and_reads_the_call_back(up: Up) -> None:
    client = openai.OpenAI(
        api_key="sk-up-test-key",
        base_url=f"http://127.0.0.1:{up.ports['reverse']}/openai/v1",
        default_headers={"X-AgentOps-Agent": "cli-agent", "X-AgentOps-Run-Id": "cli-run"},
    )
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])

    def agentops(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", "from cli.main import main; main()", *args],
            env={"AGENTOPS_HOME": str(up.home), "PATH": "/usr/bin:/bin",
                 "XDG_CONFIG_HOME": str(up.home / "xdg-config")},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    # No login step: next to `up`, the first command signs in as the embedded admin.
    deadline = time.monotonic() + 20
    runs: list[dict[str, object]] = []
    while not runs and time.monotonic() < deadline:
        runs = json.loads(agentops("runs", "list", "--agent", "cli-agent", "--output", "json"))[
            "items"
        ]
    assert [r["run_id"] for r in runs] == ["cli-run"]
    login_file = up.home / "xdg-config" / "agentops" / "cli.json"  # click.get_app_dir
    assert login_file.stat().st_mode & 0o777 == 0o600
    assert "signed in as admin@agentops.local (owner)" in agentops("login")
    summary = json.loads(agentops("costs", "summary", "--by", "agent", "--output", "json"))
    assert Decimal(summary["totals"]["cost_usd"]) > 0


def test_a_held_call_is_approved_through_the_embedded_bus(up: Up) -> None:
    """One process: the proxy stores the request over HTTP, the verdict comes back on the
    in-process bus."""
    token = up.login()
    up.post("/api/v1/policies", {"name": "ask-first", "action": "require_approval",
                                 "when": {"models": ["gpt-4o"]}}, token)  # fmt: skip
    client = openai.OpenAI(
        api_key="sk-up-test-key",
        base_url=f"http://127.0.0.1:{up.ports['reverse']}/openai/v1",
        default_headers={"X-AgentOps-Agent": "held-agent"},
        max_retries=0,
    )
    answers: list[object] = []

    def call() -> None:
        answers.append(
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "deploy?"}]
            )
        )

    deadline = time.monotonic() + 30
    pending: list[dict[str, object]] = []
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(call)
        while not pending and time.monotonic() < deadline:
            time.sleep(0.2)  # the snapshot with the policy reaches the proxy, then the call
            pending = list(up.get("/api/v1/approvals?status=pending", token)[1]["items"])  # type: ignore[call-overload]
        assert pending, "no approval request was stored"
        assert not done.done()
        up.post(f"/api/v1/approvals/{pending[0]['id']}/approve", {"reason": "ok"}, token)
        done.result(timeout=30)
    assert answers
