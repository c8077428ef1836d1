"""``agentops run`` launches real clients of every runtime through the real proxy: each call
is answered, metered with the provider's usage, and attributed to the agent and run named on
the command line. The clients get no setting but the environment ``agentops run`` gives them.
"""

from __future__ import annotations

import pytest

from agentops.agent_env import NODE_PRELOAD, node_options, proxy_url
from proxy.ca import write_bundle
from proxy.service import ProxyService
from tests.fakeprovider import expected as ex
from tests.runtimes.conftest import BIN, CLIENTS, NODE_DIR, base_env, records, run_process

CURL_BODY = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'

CLIENT_COMMANDS = {
    "openai-python": ("openai", ["python", str(CLIENTS / "openai_chat.py")]),
    "anthropic-python": ("anthropic", ["python", str(CLIENTS / "anthropic_messages.py")]),
    "requests": ("openai", ["python", str(CLIENTS / "requests_post.py")]),
    "httpx": ("openai", ["python", str(CLIENTS / "httpx_post.py")]),
    "boto3-bedrock": ("bedrock", ["python", str(CLIENTS / "bedrock_converse.py")]),
    "openai-node": ("openai", ["node", str(NODE_DIR / "openai_chat.mjs")]),
    "curl": (
        "openai",
        [
            "curl", "--silent", "--show-error", "--fail-with-body",
            "https://api.openai.com/v1/chat/completions",
            "-H", "authorization: Bearer sk-runtime-test",
            "-H", "content-type: application/json",
            "--data", CURL_BODY,
        ],
    ),
}  # fmt: skip


@pytest.mark.integration
@pytest.mark.parametrize("client", list(CLIENT_COMMANDS))
async def test_agentops_run_meters_every_client(metered: ProxyService, client: str) -> None:
    provider, command = CLIENT_COMMANDS[client]
    argv = [str(BIN / "agentops"), "run", "--agent", f"{client}-agent", "--run", "r-42", "--"]
    done = await run_process([*argv, *command], base_env(metered.settings.home))
    assert done.code == 0, done.stderr
    assert ex.REPLY_TEXT in done.stdout
    [record] = records(metered)
    assert record["agent"] == f"{client}-agent"
    assert (record["run_id"], record["run_source"]) == ("r-42", "credentials")
    assert record["provider"] == provider
    usage = ex.expected_usage(provider)
    assert record["tokens"]["source"] == "reported"
    assert (record["tokens"]["input"], record["tokens"]["output"]) == (usage.input, usage.output)


def bare_node_env(service: ProxyService, agent: str) -> dict[str, str]:
    """What a hand-configured Node agent sets: the proxy and our CA, nothing else."""
    host, port = service.forward_address
    bundle = write_bundle(service.settings.proxy.ca_dir)
    return base_env(
        service.settings.home,
        HTTPS_PROXY=proxy_url(host, port, agent, None, None),
        NODE_EXTRA_CA_CERTS=str(bundle),
    )


@pytest.mark.integration
async def test_the_preload_alone_routes_node_20_fetch_through_the_proxy(
    metered: ProxyService,
) -> None:
    env = bare_node_env(metered, "node-preload") | {"NODE_OPTIONS": node_options(NODE_PRELOAD)}
    done = await run_process(["node", str(NODE_DIR / "openai_chat.mjs")], env)
    assert done.code == 0, done.stderr
    [record] = records(metered)
    assert record["agent"] == "node-preload"
    assert record["tokens"]["source"] == "reported"


@pytest.mark.integration
async def test_without_the_preload_node_20_ignores_https_proxy(metered: ProxyService) -> None:
    """Why the preload exists: the same agent without it connects directly (no record)."""
    version = await run_process(["node", "--version"], base_env(metered.settings.home))
    assert version.stdout.startswith("v20."), "this test documents Node 20's behaviour"
    done = await run_process(
        ["node", str(NODE_DIR / "openai_chat.mjs")], bare_node_env(metered, "node-bare")
    )
    assert done.code != 0
    assert records(metered) == []


@pytest.mark.integration
async def test_the_agents_exit_status_is_agentops_runs(metered: ProxyService) -> None:
    """exec, not a child: the status (and signals) are the agent's own; a missing command is a
    one-line error."""
    env = base_env(metered.settings.home)
    done = await run_process([str(BIN / "agentops"), "run", "--", "sh", "-c", "exit 7"], env)
    assert done.code == 7
    missing = await run_process([str(BIN / "agentops"), "run", "--", "no-such-agent-cmd"], env)
    assert missing.code == 1
    assert "no-such-agent-cmd: command not found" in missing.stderr
    assert "Traceback" not in missing.stderr
