"""The agent environment (pure), its shell renderings (run by a real bash), the run id in the
proxy credentials, and the runtime file of a proxy that died."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

from agentops.agent_env import (
    NODE_PRELOAD,
    agent_env,
    merge_no_proxy,
    node_options,
    proxy_url,
    render,
)
from proxy.identity_rules import parse_proxy_authorization
from proxy.runtime_file import RunningProxy, read_runtime, remove_runtime, write_runtime


@pytest.mark.parametrize(
    ("host", "agent", "key", "run", "url"),
    [
        ("127.0.0.1", None, None, None, "http://127.0.0.1:8080"),
        ("0.0.0.0", "bot", None, None, "http://bot:none@127.0.0.1:8080"),
        ("127.0.0.1", "bot", "aoh_abc_def", None, "http://bot:aoh_abc_def@127.0.0.1:8080"),
        ("::1", "bot", None, "r 1", "http://bot%3Brun%3Dr%201:none@[::1]:8080"),
        ("proxy", "a@b", "p:w", None, "http://a%40b:p%3Aw@proxy:8080"),
    ],
)
def test_proxy_url(
    host: str, agent: str | None, key: str | None, run: str | None, url: str
) -> None:
    assert proxy_url(host, 8080, agent, key, run) == url


@pytest.mark.parametrize(
    ("user", "agent", "run"),
    [("bot", "bot", None), ("bot;run=r-1", "bot", "r-1"), ("bot;run=", "bot", None)],
)
def test_the_run_rides_in_the_proxy_user_name(user: str, agent: str, run: str | None) -> None:
    header = "Basic " + base64.b64encode(f"{user}:none".encode()).decode()
    credentials = parse_proxy_authorization(header)
    assert credentials is not None
    assert (credentials.agent, credentials.run, credentials.key) == (agent, run, "none")


def test_no_proxy_keeps_the_users_hosts_once() -> None:
    assert merge_no_proxy("localhost,127.0.0.1", " corp.internal ,localhost", None) == (
        "localhost,127.0.0.1,corp.internal"
    )


def test_node_options_keep_what_was_there_and_add_the_preload_once() -> None:
    ours = node_options(NODE_PRELOAD)
    assert ours == f'--import "{NODE_PRELOAD.as_uri()}"'
    both = node_options(NODE_PRELOAD, "--max-old-space-size=512")
    assert both == f"{ours} --max-old-space-size=512"
    assert node_options(NODE_PRELOAD, both) == both


def test_every_runtime_variable_is_set(tmp_path: Path) -> None:
    env = agent_env("http://bot:none@127.0.0.1:1", tmp_path / "b.pem", "localhost")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        assert env[name] == "http://bot:none@127.0.0.1:1"
    for name in (
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "AWS_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
    ):
        assert env[name] == str(tmp_path / "b.pem")
    assert env["NODE_USE_ENV_PROXY"] == "1"
    assert env["no_proxy"] == env["NO_PROXY"] == "localhost"
    assert NODE_PRELOAD.is_file()
    assert (NODE_PRELOAD.parent / "undici.cjs").is_file()
    assert (NODE_PRELOAD.parent / "UNDICI-LICENSE").is_file()


TRICKY = {"PLAIN": "a/b", "QUOTES": 'it\'s "x" $HOME `id` \\ end', "SPACES": '--import "a b"'}


def test_bash_lines_set_exactly_the_values() -> None:
    script = "\n".join(render(TRICKY, "bash"))
    script += '\nprintf "%s\\n" "$PLAIN" "$QUOTES" "$SPACES"'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == list(TRICKY.values())


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("fish", "set -gx QUOTES 'it\\'s \"x\" $HOME `id` \\\\ end'"),
        ("powershell", "$env:QUOTES = 'it''s \"x\" $HOME `id` \\ end'"),
        ("dotenv", 'QUOTES="it\'s \\"x\\" $HOME `id` \\\\ end"'),
    ],
)
def test_other_shells_quote_their_own_way(shell: str, line: str) -> None:
    lines = render(TRICKY, shell)  # type: ignore[arg-type]
    assert lines[0].startswith("#")
    assert line in lines
    assert render({"A": "x/y:1"}, "dotenv")[1] == "A=x/y:1"


def test_the_runtime_file_of_a_dead_proxy_is_ignored(tmp_path: Path) -> None:
    # above pid_max (2**22): no such process
    write_runtime(tmp_path, RunningProxy(pid=2**22 + 12345, host="127.0.0.1", port=1, ca_dir="c"))
    assert read_runtime(tmp_path) is None
    ours = RunningProxy(pid=os.getpid(), host="127.0.0.1", port=9, ca_dir="c")
    write_runtime(tmp_path, ours)
    assert read_runtime(tmp_path) == ours
    remove_runtime(tmp_path, pid=os.getpid() + 1)  # not ours: left alone
    assert read_runtime(tmp_path) == ours
    remove_runtime(tmp_path, pid=os.getpid())
    assert read_runtime(tmp_path) is None
