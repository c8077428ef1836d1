"""The environment that sends an agent's calls through the proxy and makes it trust our CA,
for every runtime: Python, Node (every supported version), Go, curl, the AWS SDKs, Java-less
shells. ``agentops run`` sets it for one command; ``agentops ca env`` prints it for a shell; the
Kubernetes injector and manifests set the same names.

Pure: no I/O. The caller knows where the proxy listens and where the bundle is.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import quote

Shell = Literal["bash", "fish", "powershell", "dotenv"]
SHELLS: tuple[Shell, ...] = ("bash", "fish", "powershell", "dotenv")

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_PRELOAD = NODE_DIR / "preload.mjs"
LOCAL_NO_PROXY = ("localhost", "127.0.0.1", "::1")
# undici sends proxy credentials only when the URL has a password: an agent without a key
# still gets one, which is not an AgentOps key and so only names the agent.
NO_KEY = "none"
RUN_MARK = ";run="  # the user name's run suffix; proxy.identity_rules parses it


def proxy_url(host: str, port: int, agent: str | None, key: str | None, run: str | None) -> str:
    """``http://agent[;run=R]:key@host:port``; credentials only when an agent is named."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    if not agent:
        return f"http://{host}:{port}"
    user = agent + (f"{RUN_MARK}{run}" if run else "")
    return f"http://{quote(user, safe='')}:{quote(key or NO_KEY, safe='')}@{host}:{port}"


def merge_no_proxy(*lists: str | None) -> str:
    """A NO_PROXY value: the hosts of every comma list, each once, in order."""
    hosts: list[str] = []
    for value in lists:
        for host in (value or "").split(","):
            host = host.strip()
            if host and host not in hosts:
                hosts.append(host)
    return ",".join(hosts)


def node_options(preload: Path, existing: str | None = None) -> str:
    """``NODE_OPTIONS`` that loads our preload first, keeping whatever was there."""
    ours = f'--import "{preload.as_uri()}"'
    if existing and ours in existing:
        return existing
    return f"{ours} {existing}".strip() if existing else ours


def agent_env(
    url: str,
    bundle: Path,
    no_proxy: str,
    preload: Path | None = NODE_PRELOAD,
    node_options_before: str | None = None,
) -> dict[str, str]:
    """Every variable, upper and lower case where clients differ (Python prefers the lower case,
    curl reads only ``http_proxy`` in lower case)."""
    env = {
        "HTTPS_PROXY": url,
        "https_proxy": url,
        "HTTP_PROXY": url,
        "http_proxy": url,
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
        # Each of these *replaces* its client's trust store: the bundle keeps the OS roots.
        "SSL_CERT_FILE": str(bundle),  # Python ssl, httpx, Go, OpenSSL-based tools
        "REQUESTS_CA_BUNDLE": str(bundle),  # requests
        "CURL_CA_BUNDLE": str(bundle),  # curl (Debian's ignores SSL_CERT_FILE)
        "AWS_CA_BUNDLE": str(bundle),  # boto3, AWS CLI, AWS SDK for JavaScript
        # Node adds these to its built-in roots.
        "NODE_EXTRA_CA_CERTS": str(bundle),
        # Node >= 24 (and 22.21) honour HTTPS_PROXY themselves with this set ...
        "NODE_USE_ENV_PROXY": "1",
    }
    if preload is not None:
        # ... older Node gets undici's EnvHttpProxyAgent from our preload.
        env["NODE_OPTIONS"] = node_options(preload, node_options_before)
    return env


def render(env: Mapping[str, str], shell: Shell) -> list[str]:
    """Lines that set ``env`` in ``shell``."""
    header = "# AgentOps Hub: route this shell's agents through the proxy (agentops ca env)"
    return [header, *(_line(shell, name, value) for name, value in env.items())]


def _line(shell: Shell, name: str, value: str) -> str:
    if shell == "bash":
        return f"export {name}={shlex.quote(value)}"
    if shell == "fish":
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"set -gx {name} '{escaped}'"
    if shell == "powershell":
        escaped = value.replace("'", "''")
        return f"$env:{name} = '{escaped}'"
    return f"{name}={_dotenv(value)}"


def _dotenv(value: str) -> str:
    if value and all(c.isalnum() or c in "/:._-,@%=+" for c in value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
