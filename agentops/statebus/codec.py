"""Encoding of snapshots and change announcements (pure: bytes in, typed values out)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from agentops.statebus.errors import MalformedState
from agentops.wire.control import ControlSnapshot


@dataclass(frozen=True)
class Announcement:
    """What the change channel carries: enough to decide whether a fetch is needed."""

    org: str
    version: int


def encode_snapshot(snapshot: ControlSnapshot) -> str:
    return snapshot.model_dump_json()


def decode_snapshot(raw: bytes | str, *, org: str | None = None) -> ControlSnapshot:
    """Parse a stored snapshot; ``org`` guards against a value stored under the wrong key."""
    try:
        snapshot = ControlSnapshot.model_validate_json(raw)
    except ValidationError as exc:
        raise MalformedState(f"invalid control snapshot: {exc.error_count()} error(s)") from exc
    if org is not None and snapshot.org != org:
        raise MalformedState(f"snapshot for org {snapshot.org!r} stored under {org!r}")
    return snapshot


def encode_announcement(snapshot: ControlSnapshot) -> str:
    return json.dumps({"org": snapshot.org, "version": snapshot.version})


def decode_announcement(raw: bytes | str) -> Announcement:
    try:
        data = json.loads(raw)
        org, version = data["org"], data["version"]
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedState("invalid state announcement") from exc
    if not isinstance(org, str) or not isinstance(version, int) or isinstance(version, bool):
        raise MalformedState("invalid state announcement")
    return Announcement(org=org, version=version)
