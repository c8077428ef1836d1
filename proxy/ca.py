"""Trusting the proxy's CA: a bundle that keeps every other host working, and env lines per
language.

``SSL_CERT_FILE`` *replaces* a client's trust store, so pointing it at our CA alone would break
every non-LLM host the agent talks to. The bundle is therefore the system roots plus our CA.
"""

from __future__ import annotations

from pathlib import Path

from proxy._mitm import ensure_ca

SYSTEM_BUNDLES = (
    Path("/etc/ssl/certs/ca-certificates.crt"),  # Debian, Ubuntu, Alpine
    Path("/etc/pki/tls/certs/ca-bundle.crt"),  # Fedora, RHEL
    Path("/etc/ssl/cert.pem"),  # macOS, BSD
)
BUNDLE_NAME = "agentops-ca-bundle.pem"


def system_roots() -> bytes:
    """The public roots: certifi when installed (it is, via mitmproxy), else the OS bundle."""
    try:
        import certifi

        return Path(certifi.where()).read_bytes()
    except ImportError:
        for path in SYSTEM_BUNDLES:
            if path.is_file():
                return path.read_bytes()
    raise FileNotFoundError("no system CA bundle found; install certifi")


def write_bundle(ca_dir: Path, out: Path | None = None) -> Path:
    """Write system roots + our CA (created if missing) to ``out`` and return its path."""
    ca_pem = ensure_ca(ca_dir).read_bytes()
    out = out or ca_dir / BUNDLE_NAME
    roots = system_roots()
    if not roots.endswith(b"\n"):
        roots += b"\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(roots + b"# AgentOps Hub proxy CA\n" + ca_pem)
    tmp.replace(out)
    return out


def env_lines(bundle: Path, ca_cert: Path, proxy_url: str, no_proxy: str) -> list[str]:
    """Shell lines making Python, Node and Go agents use the proxy and trust its CA."""
    return [
        "# Python (requests, httpx, openai, anthropic)",
        f"export SSL_CERT_FILE={bundle}",
        f"export REQUESTS_CA_BUNDLE={bundle}",
        f"export HTTPS_PROXY={proxy_url}",
        f"export HTTP_PROXY={proxy_url}",
        f"export NO_PROXY={no_proxy}",
        "# Node: NODE_EXTRA_CA_CERTS adds our CA to the built-in roots.",
        "# Node >= 24 honours HTTPS_PROXY only with NODE_USE_ENV_PROXY=1;",
        "# older Node needs a proxy agent (e.g. undici's EnvHttpProxyAgent).",
        f"export NODE_EXTRA_CA_CERTS={ca_cert}",
        "export NODE_USE_ENV_PROXY=1",
        "# Go (net/http reads these)",
        f"# SSL_CERT_FILE={bundle} and HTTPS_PROXY={proxy_url} as above",
    ]
