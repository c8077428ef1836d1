"""``agentops proxy`` and ``agentops ca``."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import certifi
import click
import pytest
from click.testing import CliRunner

from cli.ca_cmd import ca
from cli.proxy_cmd import parse_listen, parse_upstream
from proxy.ca import certificates
from tests.harness.ports import free_port
from tests.proxy.conftest import _no_ambient_proxy  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def test_ca_export_bundles_system_roots_and_our_ca(tmp_path: Path) -> None:
    out = tmp_path / "bundle.pem"
    result = CliRunner().invoke(
        ca,
        ["export", "--out", str(out)],
        env={"AGENTOPS_HOME": str(tmp_path / "home")},
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert result.output.strip() == str(out)
    ours = (tmp_path / "home" / "ca" / "mitmproxy-ca-cert.pem").read_bytes()
    bundle = out.read_bytes()
    assert bundle.rstrip().endswith(ours.strip())
    assert bundle.count(ours.strip()) == 1
    certs = set(certificates(bundle))
    for source in (Path("/etc/ssl/certs/ca-certificates.crt"), Path(certifi.where())):
        assert set(certificates(source.read_bytes())) <= certs, source
    assert len(list(certificates(bundle))) == len(certs)  # each root once


def test_ca_env_prints_every_runtimes_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        ca,
        ["env", "--agent", "bot"],
        env={"AGENTOPS_HOME": str(tmp_path)},
        catch_exceptions=False,
    )
    for name in (
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "NODE_EXTRA_CA_CERTS",
        "NODE_USE_ENV_PROXY",
        "NODE_OPTIONS",
        "CURL_CA_BUNDLE",
        "AWS_CA_BUNDLE",
    ):
        assert f"export {name}=" in result.output
    # undici sends proxy credentials only with a password: there always is one.
    assert "export HTTPS_PROXY=http://bot:none@127.0.0.1:8080" in result.output


def test_listen_and_upstream_options_are_validated() -> None:
    assert parse_listen("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_upstream(("api.openai.com=http://127.0.0.1:9",)) == {
        "api.openai.com": "http://127.0.0.1:9"
    }
    with pytest.raises(click.BadParameter):
        parse_listen("nowhere")
    with pytest.raises(click.BadParameter):
        parse_upstream(("api.openai.com",))


def test_proxy_command_prints_addresses_and_stops_cleanly_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTOPS_HOME", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("AGENTOPS_PROXY__ADMIN_PORT", "0")
    args = [
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--reverse-port",
        str(free_port()),
        "--upstream",
        "api.openai.com=http://127.0.0.1:9",
    ]
    child = subprocess.Popen(
        [sys.executable, "-c", "from cli.proxy_cmd import proxy; proxy()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    lines = []
    while (line := child.stdout.readline()) and line.strip() != "ready":
        lines.append(line)
    output = "".join(lines)
    assert "forward proxy   http://127.0.0.1:" in output
    assert "/openai/v1" in output
    assert "records stay in" in output
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 0
    assert "proxy stopped" in child.stdout.read()
    child.stdout.close()


def test_ca_export_can_ship_the_node_preload_beside_the_bundle(tmp_path: Path) -> None:
    """What the injector's init container runs: the agent container gets both from /ca."""
    out = tmp_path / "ca" / "bundle.pem"
    result = CliRunner().invoke(
        ca,
        ["export", "--out", str(out), "--node-preload"],
        env={"AGENTOPS_HOME": str(tmp_path / "home")},
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    preload = tmp_path / "ca" / "node" / "preload.mjs"
    assert result.output.split() == [str(out), str(preload)]
    assert {p.name for p in preload.parent.iterdir()} == {
        "preload.mjs",
        "undici.cjs",
        "UNDICI-LICENSE",
    }
