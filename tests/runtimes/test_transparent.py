"""Transparent capture for real: in a network namespace this test creates, `agentops capture
init` installs the iptables rules, and a Node 20 agent with no proxy settings at all (only our
CA in NODE_EXTRA_CA_CERTS) calls https://api.openai.com: the kernel redirects it into the
proxy's transparent listener, the call is answered and metered.

As in a pod: the proxy runs as root (uid 0, exempted by the rules) and the agent as another
user (nobody). The fake provider listens on the namespace's own address, port 80, so the
proxy's upstream connection is one the rules would capture were its uid not exempted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakeprovider import expected as ex
from tests.proxy.helpers import final_records
from tests.runtimes.conftest import BIN, HERE, NODE_DIR
from tests.runtimes.netns import Namespace, namespace

TRANSPARENT_PORT = 15001
NOBODY = "65534"
# An address no host answers at (TEST-NET-3): only the redirect can make the call work.
OPENAI_IP = "203.0.113.7"
ROOT = HERE.parents[1]


def _env(home: Path) -> dict[str, str]:
    return {
        "PATH": f"{BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "AGENTOPS_HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }


def _started(argv: list[str], env: dict[str, str], until: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + 60, ""
    while until not in seen:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, f"{argv[3:]} exited:\n{seen}"
        seen += line
        assert time.monotonic() < deadline, f"{argv[3:]} did not start:\n{seen}"
    return proc


@pytest.fixture
def ns() -> Iterator[Namespace]:
    with namespace({"api.openai.com": OPENAI_IP}) as created:
        yield created


@pytest.mark.integration
def test_a_node_agent_without_proxy_settings_is_captured_and_metered(
    ns: Namespace, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = _env(home)
    fake = _started(
        ns.argv(sys.executable, "-m", "tests.runtimes.serve_fake", ns.address, "80"), env, "ready"
    )
    proxy_env = env | {
        "AGENTOPS_PROXY__TRANSPARENT_PORT": str(TRANSPARENT_PORT),
        "AGENTOPS_PROXY__ADMIN_PORT": "0",
        "AGENTOPS_PROXY__DEFAULT_AGENT": "captured-agent",
    }
    proxy = _started(
        ns.argv(
            str(BIN / "agentops"), "proxy", "--listen", "127.0.0.1:15000", "--reverse-port", "0",
            "--upstream", f"api.openai.com=http://{ns.address}:80",
        ),
        proxy_env,
        "ready",
    )  # fmt: skip
    try:
        init = subprocess.run(
            ns.argv(str(BIN / "agentops"), "capture", "init",
                    "--proxy-port", str(TRANSPARENT_PORT), "--proxy-uid", "0"),
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert init.returncode == 0, init.stderr
        public = Path(tempfile.mkdtemp(prefix="aoh-ca-"))  # readable by the agent's user
        public.chmod(0o755)
        bundle = public / "bundle.pem"
        subprocess.run(
            [str(BIN / "agentops"), "ca", "export", "--out", str(bundle)], env=env, check=True,
            capture_output=True,
        )  # fmt: skip
        agent = subprocess.run(
            ns.argv("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    "node", str(NODE_DIR / "openai_chat.mjs")),
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp",
                 "NODE_EXTRA_CA_CERTS": str(bundle)},
            cwd=NODE_DIR, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert agent.returncode == 0, agent.stderr
        assert ex.REPLY_TEXT in agent.stdout
        record = _one_record(home / "spool")
        assert record["agent"] == "captured-agent"
        assert record["provider"] == "openai"
        assert record["tokens"]["source"] == "reported"
        assert record["tokens"]["input"] == ex.expected_usage("openai").input
    finally:
        for process in (proxy, fake):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            assert process.stdout is not None
            process.stdout.close()
        subprocess.run(["rm", "-rf", str(locals().get("public", ""))], check=False)


def _one_record(spool: Path) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = list(final_records(spool).values()) if spool.is_dir() else []
        if found:
            [record] = found
            return record
        time.sleep(0.1)
    raise AssertionError(f"no record in {spool}: {os.listdir(spool) if spool.is_dir() else []}")
