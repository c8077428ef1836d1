"""Trusting the proxy's CA: one bundle that keeps every other host working.

``SSL_CERT_FILE`` (and ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``AWS_CA_BUNDLE``) *replace*
a client's trust store, so pointing them at our CA alone would break every non-LLM host the agent
talks to. The bundle is therefore the OS trust store (which holds a company's own root CAs),
plus certifi's public roots (a minimal image may have no OS store), deduplicated, plus our CA.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterable, Iterator
from pathlib import Path

from proxy._mitm import ensure_ca

SYSTEM_BUNDLES = (
    Path("/etc/ssl/certs/ca-certificates.crt"),  # Debian, Ubuntu, Alpine
    Path("/etc/pki/tls/certs/ca-bundle.crt"),  # Fedora, RHEL
    Path("/etc/ssl/cert.pem"),  # macOS, BSD
)
BUNDLE_NAME = "agentops-ca-bundle.pem"
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.S)


def os_bundle() -> Path | None:
    """The OS trust store's bundle file: where OpenSSL looks by default, else the usual places.

    Not ``SSL_CERT_FILE``: in a shell that already trusts the proxy it names our own bundle."""
    compiled_in = ssl.get_default_verify_paths().openssl_cafile
    for path in [*([Path(compiled_in)] if compiled_in else []), *SYSTEM_BUNDLES]:
        if path.is_file():
            return path
    return None


def certifi_bundle() -> Path | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - mitmproxy depends on certifi
        return None
    return Path(certifi.where())


def certificates(pem: bytes) -> Iterator[bytes]:
    """Each PEM certificate block in ``pem``, normalised (LF line ends, no trailing space)."""
    for match in _PEM.finditer(pem):
        yield b"\n".join(line.rstrip() for line in match.group(0).splitlines())


def _body(cert: bytes) -> bytes:
    return b"".join(cert.splitlines()[1:-1])


def unique_roots(sources: Iterable[bytes], skip: Iterable[bytes] = ()) -> list[bytes]:
    """The certificates of every PEM source, in order, each once (by its encoding), minus
    ``skip``."""
    seen = {_body(cert) for cert in skip}
    roots: list[bytes] = []
    for source in sources:
        for cert in certificates(source):
            body = _body(cert)
            if body not in seen:
                seen.add(body)
                roots.append(cert)
    return roots


def system_roots(skip: Iterable[bytes] = ()) -> list[bytes]:
    """OS trust store + certifi, deduplicated (minus ``skip``: our own CA is added last)."""
    sources = [p.read_bytes() for p in (os_bundle(), certifi_bundle()) if p is not None]
    roots = unique_roots(sources, skip)
    if not roots:
        raise FileNotFoundError("no CA bundle found: install the OS ca-certificates or certifi")
    return roots


def write_bundle(ca_dir: Path, out: Path | None = None) -> Path:
    """Write system roots + our CA (created if missing) to ``out`` and return its path."""
    ca_pem = ensure_ca(ca_dir).read_bytes()
    out = out or ca_dir / BUNDLE_NAME
    roots = b"\n".join(system_roots(skip=certificates(ca_pem))) + b"\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(roots + b"# AgentOps Hub proxy CA\n" + ca_pem)
    tmp.chmod(0o644)
    tmp.replace(out)
    return out
