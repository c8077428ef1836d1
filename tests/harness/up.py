"""`agentops up` as a real subprocess on a given home: start it, talk to its API, stop it.

Used by the `up` tests and by the fault tests that restart `up` on the same home (what a
laptop user does) to check that what is stored survives.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.harness.ports import free_port


class Up:
    def __init__(self, proc: subprocess.Popen[str], home: Path, ports: dict[str, int]) -> None:
        self.proc, self.home, self.ports = proc, home, ports
        self.output = ""

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def reverse_openai(self) -> str:
        return f"http://127.0.0.1:{self.ports['reverse']}/openai/v1"

    def get(self, path: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(self.api + path)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())

    def post(self, path: str, body: Mapping[str, object], token: str) -> dict[str, Any]:
        request = urllib.request.Request(
            self.api + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    def login(self) -> str:
        admin = json.loads((self.home / "embedded-admin.json").read_text())
        body = json.dumps({"email": admin["email"], "password": admin["password"]}).encode()
        request = urllib.request.Request(
            self.api + "/api/v1/auth/login", data=body, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["access_token"])

    def stop(self) -> None:
        """Ctrl-C, as a user stops it (the spool is flushed and shipped on the way out)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_up(home: Path, provider_url: str, ports: dict[str, int] | None = None) -> Up:
    ports = ports or {
        "api": free_port(),
        "proxy": free_port(),
        "reverse": free_port(),
        "admin": free_port(),
    }
    proc = subprocess.Popen(
        [
            sys.executable, "-c", "from cli.main import main; main()", "up",
            "--port", str(ports["api"]), "--proxy-port", str(ports["proxy"]),
            "--reverse-port", str(ports["reverse"]),
            "--upstream", f"api.openai.com={provider_url}",
        ],
        env={"AGENTOPS_HOME": str(home), "AGENTOPS_PROXY__ADMIN_PORT": str(ports.get("admin", 0)),
             "AGENTOPS_CONTROL_PLANE__PASSWORD_HASH_FAST": "true", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    running = Up(proc, home, ports)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while "Press Ctrl-C to stop." not in running.output:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            running.kill()
            raise AssertionError(f"agentops up exited early:\n{running.output}")
        running.output += line
        if time.monotonic() > deadline:
            running.kill()
            raise AssertionError(f"agentops up did not start:\n{running.output}")
    return running
