"""Approval verdicts on the state bus: one Redis pub/sub channel, or the in-process bus.

A verdict is fire-and-forget: a proxy that is not listening when it is published (restarting,
cut off) never hears it, and its held call times out as denied, which is the safe default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from agentops.wire.approvals import ApprovalVerdict

if TYPE_CHECKING:
    from redis.asyncio import Redis


def verdict_channel(prefix: str) -> str:
    return f"{prefix}approvals:decided"


class VerdictPublisher(Protocol):
    async def publish_verdict(self, verdict: ApprovalVerdict) -> None: ...


class RedisVerdictPublisher:
    def __init__(self, client: Redis[Any], prefix: str) -> None:
        self._client = client
        self._channel = verdict_channel(prefix)

    async def publish_verdict(self, verdict: ApprovalVerdict) -> None:
        await self._client.publish(self._channel, verdict.model_dump_json())


def decode_verdict(raw: bytes | str) -> ApprovalVerdict:
    """Raises pydantic's ValidationError on a malformed message."""
    return ApprovalVerdict.model_validate_json(raw)
