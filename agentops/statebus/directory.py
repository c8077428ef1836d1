"""The key directory: which API keys a proxy accepts, published per org beside its snapshot.

The control plane publishes, for each org, every unrevoked key with the ``ingest`` scope (agents
present one as their proxy credentials): its public id, org, the SHA-256 of its secret (never
the secret), the agent it is bound to and when it expires. An org's entries are published
whole, under the org's control-state version: a publish older than the stored one is refused,
so a slow republish cannot bring back a key a newer publish revoked. Revoked and deleted keys
are simply absent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from agentops.statebus.errors import MalformedState

PROXY_SCOPE = "ingest"  # the scope of a key usable as proxy credentials


class KeyEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    public_id: str
    org: str
    secret_hash: str
    agent: str | None = None  # the key works only for this agent name
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # the hash is not a secret, but has no business in logs
        return f"KeyEntry(public_id={self.public_id!r}, org={self.org!r}, agent={self.agent!r})"


class KeyDirectoryPublisher(Protocol):
    async def publish_keys(self, org: str, version: int, entries: Sequence[KeyEntry]) -> bool:
        """Replace the org's entries and announce it; False (no change) unless ``version`` is
        strictly newer than the org's stored directory version."""
        ...


class KeyDirectoryReader(Protocol):
    async def key_versions(self) -> dict[str, int]:
        """Org -> version of its published directory."""
        ...

    async def key_directory(self) -> tuple[dict[str, int], dict[str, bytes]]:
        """The versions and every raw entry (public id -> JSON), read together."""
        ...


class KeyDirectory(KeyDirectoryPublisher, KeyDirectoryReader, Protocol):
    """Both sides: what the control plane holds (it reads versions to find what to republish)."""


def encode_entry(entry: KeyEntry) -> str:
    return entry.model_dump_json()


def decode_entry(raw: bytes | str, *, public_id: str) -> KeyEntry:
    try:
        entry = KeyEntry.model_validate_json(raw)
    except ValidationError as exc:
        raise MalformedState(f"invalid key entry: {exc.error_count()} error(s)") from exc
    if entry.public_id != public_id:
        raise MalformedState(f"key entry {entry.public_id!r} stored under {public_id!r}")
    return entry


def encode_key_announcement(org: str, version: int) -> str:
    return json.dumps({"org": org, "version": version})


def parse_versions(raw: Mapping[bytes | str, bytes | str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for org, version in raw.items():
        try:
            found[_text(org)] = int(version)
        except ValueError:
            continue  # a corrupt entry is ignored; the next publish overwrites it
    return found


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
