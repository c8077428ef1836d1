"""Webhook signatures verify with an independent Standard Webhooks implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac

from control_plane.alerts import signing


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Written from the Standard Webhooks spec, not from our code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, content.encode(), hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1) for s in headers["webhook-signature"].split(" ")]
    return any(v == "v1" and hmac.compare_digest(sig, expected) for v, sig in offered)


def test_signature_verifies_and_breaks_on_any_change() -> None:
    secret = signing.new_secret()
    body = b'{"type":"budget.threshold","spend_usd":"80.00"}'
    headers = signing.headers(secret, "msg_1", 1_800_000_000, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"80", b"81"))
    assert not verify(signing.new_secret(), headers, body)
    assert not verify(secret, headers | {"webhook-timestamp": "1800000001"}, body)


def test_known_vector() -> None:
    # Computed once with the reference algorithm; guards against accidental format changes.
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    key = b"k" * 32
    digest = hmac.new(key, b"id.1.{}", hashlib.sha256).digest()
    assert signing.signature(secret, "id", 1, b"{}") == "v1," + base64.b64encode(digest).decode()
