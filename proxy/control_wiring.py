"""The proxy's control state, assembled: holder, source, gate, stream cutter and heartbeat.

``ProxyService`` builds one of these when no gate is handed to it. The source is Redis when
``control_plane.redis_url`` is set, else the in-process ``MemoryStateBus`` of an embedded
control plane; with neither there is no control state and the proxy allows every call.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentops.settings import Settings
from agentops.statebus import MemoryStateBus
from proxy.control import ControlGate, ControlStateHolder, MemoryStateSource, RedisStateSource
from proxy.control.redis_source import CLIENT_NAME
from proxy.gate import Decision, GateRequest
from proxy.heartbeat import Heartbeat


class KillSwitchGate:
    """The gate addon's ``Gate``: kill-switch, pause and state health, from memory only."""

    def __init__(self, gate: ControlGate) -> None:
        self._gate = gate

    async def decide(self, request: GateRequest) -> Decision:
        verdict = self._gate.check(
            request.org, request.agent, request.run_id, request.provider, request.model, None
        )
        if verdict.allowed:
            return Decision(allow=True)
        return Decision(
            allow=False,
            status=verdict.status,
            code=verdict.code,
            message=verdict.message,
            reference=verdict.reference or "",
            reason=verdict.code,
        )

    def stream_cut(self, org: str, agent: str) -> tuple[str, str] | None:
        """Asked for every chunk of a live stream: (message, code) when a kill must cut it."""
        verdict = self._gate.should_cut_stream(org, agent)
        return None if verdict is None else (verdict.message, verdict.code)


@dataclass
class ControlState:
    holder: ControlStateHolder
    source: RedisStateSource | MemoryStateSource
    gate: KillSwitchGate
    settings: Settings
    heartbeat: Heartbeat | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, bus: MemoryStateBus | None = None
    ) -> ControlState | None:
        holder = ControlStateHolder()
        source: RedisStateSource | MemoryStateSource
        cp, p = settings.control_plane, settings.proxy
        if cp.redis_url is not None:
            # Named after the proxy when it has a configured id, so CLIENT LIST tells them apart.
            name = CLIENT_NAME + (f":{p.proxy_id}" if p.proxy_id else "")
            source = RedisStateSource(
                holder,
                redis_url=cp.redis_url,
                prefix=cp.redis_prefix,
                resync_seconds=p.state_resync_seconds,
                client_name=name.replace(" ", "_"),
            )
        elif bus is not None:
            source = MemoryStateSource(bus, holder, resync_seconds=p.state_resync_seconds)
        else:
            return None
        gate = KillSwitchGate(ControlGate(holder, p))
        return cls(holder, source, gate, settings)

    @property
    def ready(self) -> bool:
        return self.holder.ready

    async def start(self, proxy_id: str) -> None:
        await self.source.start()
        p = self.settings.proxy
        if p.control_plane_url:
            self.heartbeat = Heartbeat(
                self.holder,
                base_url=p.control_plane_url,
                api_key=p.api_key,
                proxy_id=proxy_id,
                interval_seconds=p.heartbeat_seconds,
            )
            await self.heartbeat.start()

    async def close(self) -> None:
        if self.heartbeat is not None:
            await self.heartbeat.close()
            self.heartbeat = None
        await self.source.close()
