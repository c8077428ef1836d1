"""Held calls: a call a require_approval policy holds waits here for an approver's verdict.

``ApprovalDesk.wait`` stores an approval request through the control plane (HTTP with the
proxy's ingest key, like heartbeats), then awaits a future keyed by the approval id: the event
loop keeps serving every other call. The verdict arrives on the control-state bus
(``RedisVerdictFeed`` or the embedded bus) and resolves the future; no verdict within the
rule's wait is a denial, and so is a request the control plane could not store (no approver
could ever see it). A restarted proxy has lost its futures: their calls' connections are gone
with it. An approval "for this run" is remembered by every proxy that hears it, so the rest of
the run passes that policy without asking again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING, Any

import aiohttp
from pydantic import SecretStr, ValidationError

from agentops.statebus.approvals import decode_verdict, verdict_channel
from agentops.tasks import TaskSet
from agentops.wire.approvals import ApprovalAsk, ApprovalVerdict
from proxy.decision import Call, Decision

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

ASK_PATH = "/api/v1/proxies/approvals"
EXCERPT_CHARS = 500


class ApprovalDesk:
    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: SecretStr | None,
        proxy_id: str,
        capture_content: bool,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._url = None if base_url is None else base_url.rstrip("/") + ASK_PATH
        self._api_key = api_key
        self._proxy_id = proxy_id
        self._capture = capture_content
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._waiting: dict[str, asyncio.Future[ApprovalVerdict]] = {}
        self._run_grants: set[tuple[str, str, str]] = set()  # (org, run, policy) approved

    @property
    def holding(self) -> int:
        return len(self._waiting)

    def covered(self, call: Call, decision: Decision) -> bool:
        """An earlier "approve for this run" covers this call."""
        return (call.org, call.run_id, decision.reference) in self._run_grants

    def hear(self, verdict: ApprovalVerdict) -> None:
        """A verdict from the bus (any org's; one for a call held elsewhere is ignored)."""
        if verdict.verdict == "approved" and verdict.coverage == "run":
            self._run_grants.add((verdict.org, verdict.run_id, verdict.policy_id))
        future = self._waiting.get(verdict.id)
        if future is not None and not future.done():
            future.set_result(verdict)

    async def wait(self, call: Call, decision: Decision) -> ApprovalVerdict | None:
        """The verdict on ``call``, or None: timed out, or the request could not be stored."""
        approval_id = "apr_" + secrets.token_hex(12)
        future: asyncio.Future[ApprovalVerdict] = asyncio.get_running_loop().create_future()
        self._waiting[approval_id] = future  # before asking: a verdict cannot outrun it
        try:
            if not await self._ask(self._request(approval_id, call, decision)):
                return None
            return await asyncio.wait_for(future, timeout=decision.hold_seconds or 300)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(approval_id, None)

    def _request(self, approval_id: str, call: Call, decision: Decision) -> ApprovalAsk:
        policy = next((m for m in decision.matched if m.reference == decision.reference), None)
        return ApprovalAsk(
            id=approval_id,
            agent=call.agent,
            run_id=call.run_id,
            provider=call.provider,
            model=call.model,
            policy_id=decision.reference,
            policy_name=policy.name if policy else "",
            reason=(policy.reason if policy else decision.message)[:2000],
            estimated_cost_usd=decision.worst_case_usd,
            excerpt=excerpt(call.body()) if self._capture else None,
            key_id=call.key_id,
            proxy_id=self._proxy_id,
            timeout_seconds=decision.hold_seconds or 300,
        )

    async def _ask(self, ask: ApprovalAsk) -> bool:
        if self._url is None:
            log.warning("held call refused: no control plane to ask for an approval")
            return False
        if self._session is None:
            headers = {"user-agent": "agentops-proxy"}
            if self._api_key is not None:
                headers["authorization"] = f"Bearer {self._api_key.get_secret_value()}"
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=headers)
        try:
            body = ask.model_dump(mode="json")
            async with self._session.post(self._url, json=body) as response:
                if response.status == 201:
                    return True
                log.warning(
                    "approval request refused by the control plane; the call is refused",
                    extra={"status": response.status, "approval": ask.id},
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("approval request failed; the call is refused", extra={"error": str(error)})
        return False

    async def close(self) -> None:
        for future in self._waiting.values():
            future.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None


def excerpt(body: Any) -> str | None:
    """The last user message's text, cut to ``EXCERPT_CHARS`` (chat and messages APIs)."""
    if not isinstance(body, dict):
        return None
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content)[:EXCERPT_CHARS] if content else None
    return None


class RedisVerdictFeed:
    """Listens on the verdict channel for as long as the proxy runs, reconnecting after an
    error (a verdict published meanwhile is lost: its call times out as denied)."""

    def __init__(self, desk: ApprovalDesk, *, redis_url: str, prefix: str, name: str) -> None:
        self._desk = desk
        self._url = redis_url
        self._channel = verdict_channel(prefix)
        self._name = name
        self._tasks = TaskSet("approval-verdicts")
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        self._tasks.spawn(self._run(), name="approval-verdicts")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=2.0)

    async def close(self) -> None:
        await self._tasks.close()

    async def _run(self) -> None:
        # Imported here: only a proxy configured with Redis runs this (see agentops.statebus).
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        while True:
            # No read timeout: the subscriber blocks on the socket between verdicts (no polling
            # wake-ups on the proxy's loop); the health check notices a dead connection.
            client: Redis[Any] = Redis.from_url(
                self._url,
                socket_connect_timeout=2.0,
                socket_timeout=None,
                health_check_interval=30,
                client_name=self._name,
            )
            try:
                await self._listen(client)
            except (RedisError, OSError) as error:
                log.warning("approval verdict feed lost; reconnecting", extra={"error": str(error)})
            finally:
                closer: Any = client
                await closer.aclose()
            await asyncio.sleep(1.0)

    async def _listen(self, client: Redis[Any]) -> None:
        pubsub = client.pubsub()
        await pubsub.subscribe(self._channel)
        self._subscribed.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    self._desk.hear(decode_verdict(message["data"]))
                except ValidationError:
                    log.warning("malformed approval verdict ignored")
        finally:
            closer: Any = pubsub
            await closer.aclose()
