"""The proxy's control state, assembled: holder, key verifier, source, gate, stream cutter and
heartbeat.

``ProxyService`` builds one of these when no gate is handed to it. The source is Redis when
``control_plane.redis_url`` is set, else the in-process ``MemoryStateBus`` of an embedded
control plane; with neither there is no control state and the proxy allows every call. The
spend counters of hard budgets live beside the state: in Redis, or in memory when embedded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentops.settings import Settings
from agentops.statebus import (
    COUNTER_SCRIPTS,
    MemoryRateLimiter,
    MemorySpendCounters,
    MemoryStateBus,
    RateLimiter,
    RedisRateLimiter,
    RedisRunCounters,
    RunCounters,
    SpendCounters,
)
from proxy.control import ControlGate, ControlStateHolder, MemoryStateSource
from proxy.control.approvals import ApprovalDesk, RedisVerdictFeed
from proxy.control.health import StateHealth, assess_holder
from proxy.control.key_verifier import StateKeyVerifier
from proxy.control.metrics import track_state_age
from proxy.heartbeat import Heartbeat

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from proxy.control.redis_source import RedisStateSource

log = logging.getLogger(__name__)

COUNTER_TIMEOUT_SECONDS = 1.0


@dataclass
class ControlState:
    holder: ControlStateHolder
    source: RedisStateSource | MemoryStateSource
    gate: ControlGate
    settings: Settings
    verifier: StateKeyVerifier
    heartbeat: Heartbeat | None = None
    verdicts: RedisVerdictFeed | None = None
    unsubscribe_verdicts: Callable[[], None] | None = field(default=None, repr=False)
    counter_client: Redis[Any] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        bus: MemoryStateBus | None = None,
        counters: SpendCounters | None = None,
    ) -> ControlState | None:
        """``counters`` overrides the spend counters the settings imply (Redis next to the state,
        else one in-memory set for the embedded single process)."""
        holder = ControlStateHolder()
        source: RedisStateSource | MemoryStateSource
        cp, p = settings.control_plane, settings.proxy
        # Proxy credentials are checked against the key directory the same source feeds.
        verifier = StateKeyVerifier(
            require_credentials=p.require_credentials, default_org=p.default_org
        )
        client: Redis[Any] | None = None
        desk = ApprovalDesk(
            base_url=p.control_plane_url,
            api_key=p.api_key,
            proxy_id=p.proxy_id or "",
            capture_content=p.capture_content,
        )
        verdicts: RedisVerdictFeed | None = None
        unsubscribe: Callable[[], None] | None = None
        if cp.redis_url is not None:
            # Imported here: a proxy without Redis never imports the client (~7 MiB).
            from agentops.statebus import RedisSpendCounters
            from agentops.statebus import connect as connect_redis
            from proxy.control.redis_source import CLIENT_NAME, RedisStateSource

            # Named after the proxy when it has a configured id, so CLIENT LIST tells them apart.
            name = CLIENT_NAME + (f":{p.proxy_id}" if p.proxy_id else "")
            source = RedisStateSource(
                holder,
                redis_url=cp.redis_url,
                prefix=cp.redis_prefix,
                resync_seconds=p.state_resync_seconds,
                client_name=name.replace(" ", "_"),
                verifier=verifier,
            )
            # A budget check waits at most this long, then budget_fail_mode applies; 0.2 s
            # (the state client's) refused healthy calls when a burst opened the pool.
            client = connect_redis(
                cp.redis_url,
                timeout_seconds=COUNTER_TIMEOUT_SECONDS,
                client_name=f"{name}:counters".replace(" ", "_"),
            )
            if counters is None:
                counters = RedisSpendCounters(
                    client, cp.redis_prefix, timeout_seconds=COUNTER_TIMEOUT_SECONDS
                )
            # Rate limits are shared by every replica through the same Redis.
            limiter: RateLimiter = RedisRateLimiter(
                client, cp.redis_prefix, timeout_seconds=COUNTER_TIMEOUT_SECONDS
            )
            runs: RunCounters = RedisRunCounters(
                client, cp.redis_prefix, timeout_seconds=COUNTER_TIMEOUT_SECONDS
            )
            verdicts = RedisVerdictFeed(
                desk,
                redis_url=cp.redis_url,
                prefix=cp.redis_prefix,
                name=f"{name}:approvals".replace(" ", "_"),
            )
        elif bus is not None:
            source = MemoryStateSource(
                bus, holder, resync_seconds=p.state_resync_seconds, verifier=verifier
            )
            counters = counters or MemorySpendCounters()
            limiter = MemoryRateLimiter()
            runs = bus.runs  # shared with the embedded control plane, which lifts pauses
            unsubscribe = bus.subscribe_verdicts(desk.hear)
        else:
            return None
        gate = ControlGate(holder, p, counters, limiter=limiter, approvals=desk, runs=runs)
        return cls(
            holder,
            source,
            gate,
            settings,
            verifier,
            verdicts=verdicts,
            unsubscribe_verdicts=unsubscribe,
            counter_client=client,
        )

    @property
    def ready(self) -> bool:
        """Serving: synced (or ``start_open``), and not stale under ``refuse_all``."""
        return self.health().ready

    def health(self) -> StateHealth:
        return assess_holder(self.holder.ready, self.holder.age_seconds(), self.settings.proxy)

    async def start(self, proxy_id: str) -> None:
        """The state source's first sync, and the counters' connection opened with their
        scripts loaded, so the first budget or rate-limit check pays for neither."""
        track_state_age(self.holder.age_seconds)
        await self.source.start()
        if self.verdicts is not None:
            await self.verdicts.start()
        if self.counter_client is not None and not await _warm(self.counter_client):
            log.warning("spend counters unreachable at start; budget_fail_mode applies")
        p = self.settings.proxy
        if p.control_plane_url:
            self.heartbeat = Heartbeat(
                self.holder,
                base_url=p.control_plane_url,
                api_key=p.api_key,
                proxy_id=proxy_id,
                interval_seconds=p.heartbeat_seconds,
                max_age_seconds=p.state_max_age_seconds,
            )
            await self.heartbeat.start()

    async def close(self) -> None:
        if self.heartbeat is not None:
            await self.heartbeat.close()
            self.heartbeat = None
        await self.source.close()
        if self.verdicts is not None:
            await self.verdicts.close()
        if self.unsubscribe_verdicts is not None:
            self.unsubscribe_verdicts()
            self.unsubscribe_verdicts = None
        if self.gate.approvals is not None:
            await self.gate.approvals.close()
        # In-flight settlements are cancelled: their holds expire, and the control plane's
        # reconciliation counts the calls from their records.
        await self.gate.close()
        if self.counter_client is not None:
            await _aclose(self.counter_client)
            self.counter_client = None


async def _warm(client: Redis[Any]) -> bool:
    from agentops.statebus import warm

    return await warm(client, COUNTER_SCRIPTS)


async def _aclose(client: Redis[Any]) -> None:
    # redis 8 names it aclose; the installed types-redis stubs predate it.
    closer: Any = client
    await closer.aclose()
