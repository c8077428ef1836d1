"""Small helpers of the proxy tests: free ports, a self-signed TLS server, spool reading, a proxy
serving for a block, a chat call through its reverse endpoint."""

from __future__ import annotations

import datetime as dt
import json
import ssl
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import openai
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from openai.types.chat import ChatCompletion

from agentops.settings import Settings
from proxy.service import ProxyService


def self_signed(tmp: Path, name: str = "localhost") -> tuple[Path, Path, bytes]:
    """A self-signed certificate for ``name`` and 127.0.0.1: (cert path, key path, DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / f"{name}.crt", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, cert.public_bytes(serialization.Encoding.DER)


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def spooled_records(spool_dir: Path) -> list[dict[str, Any]]:
    """Every record line in the spool's segment files, oldest first."""
    records: list[dict[str, Any]] = []
    for path in sorted(spool_dir.glob("*.jsonl")):
        records.extend(json.loads(line) for line in path.read_bytes().splitlines())
    return records


def final_records(spool_dir: Path) -> dict[str, dict[str, Any]]:
    """The superseding (last) record of each call id."""
    return {r["call_id"]: r for r in spooled_records(spool_dir)}


async def chat(address: tuple[str, int], **headers: str) -> ChatCompletion:
    """One ``gpt-4o-mini`` chat call through a proxy's reverse endpoint at ``address``."""
    host, port = address
    async with openai.AsyncOpenAI(
        base_url=f"http://{host}:{port}/openai/v1", api_key="sk-x", max_retries=0,
        default_headers=headers,
    ) as client:  # fmt: skip
        return await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[str, int]]:
    """A proxy on ``settings`` for the block: its reverse endpoint's address. Stopped after it."""
    proxy = ProxyService(settings)
    await proxy.start()
    try:
        assert proxy.reverse_address is not None
        yield proxy.reverse_address
    finally:
        await proxy.stop()


async def settle(result: Awaitable[None] | None) -> None:
    """Run a hook that returns an awaitable only when it has to wait
    (``GateAddon.request``, ``Record.response``...) to its end."""
    if result is not None:
        await result
