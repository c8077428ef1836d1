"""``ProxyService``: the whole proxy as one object with ``start()`` and ``stop()``.

Standalone (``agentops proxy``) it ships records over HTTP to the control plane, or keeps them
in the spool when none is configured; embedded (``agentops up``) the caller hands it an
in-process ``RecordSink`` and both share one event loop. Every resource is opened in ``start``
and closed in ``stop``, in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

from agentops.settings import Settings
from agentops.sinks import RecordSink
from agentops.statebus import MemoryStateBus, SpendCounters
from proxy._mitm import Address, MitmConfig, MitmServer, ca_cert_path, claim_port
from proxy.admin import AdminServer
from proxy.control.keys import StateKeyVerifier
from proxy.control_wiring import ControlState
from proxy.gate import AllowAll, Gate
from proxy.http_sink import HttpSink
from proxy.identity import KeyVerifier, UnverifiedKeys
from proxy.pipeline import build_pipeline, intercepted_hosts
from proxy.shipper import Shipper
from proxy.spool import Spool

log = logging.getLogger(__name__)


class ProxyService:
    def __init__(
        self,
        settings: Settings,
        sink: RecordSink | None = None,
        gate: Gate | None = None,
        verifier: KeyVerifier | None = None,
        state_bus: MemoryStateBus | None = None,
        counters: SpendCounters | None = None,
    ) -> None:
        """``counters``: the hard budgets' spend counters, when not the ones the settings imply
        (Redis beside the control state, or in memory when embedded)."""
        self.settings = settings
        p = settings.proxy
        self.spool = Spool(
            p.spool_dir,
            max_bytes=p.spool_max_bytes,
            full_mode=p.spool_full_mode,
            fsync_interval=p.spool_fsync_interval_ms / 1000,
        )
        self._sink = sink
        # Control state (kill-switch, pause, hard budgets) from Redis or the embedded bus, unless
        # a gate is handed in; with neither source configured every call is allowed.
        self._control = (
            None if gate is not None else ControlState.from_settings(settings, state_bus, counters)
        )
        self._gate = gate or (self._control.gate if self._control else AllowAll())
        self._verifier = verifier or self._default_verifier()
        self._http_sink: HttpSink | None = None
        self._shipper: Shipper | None = None
        self._mitm: MitmServer | None = None
        self._admin: AdminServer | None = None

    def _default_verifier(self) -> KeyVerifier:
        """API keys from the synced key directory whenever there is control state; any key
        only for a sidecar without it. Requiring credentials with nothing to check them
        against refuses every call rather than accepting any string."""
        p = self.settings.proxy
        if self._control is not None:
            return self._control.verifier
        if p.require_credentials:
            log.warning("require_credentials without control state: every call is refused")
            return StateKeyVerifier(require_credentials=True, default_org=p.default_org)
        return UnverifiedKeys(p.default_org)

    # -- addresses, available after start() --------------------------------------------------

    @property
    def forward_address(self) -> Address:
        assert self._mitm is not None
        assert self._mitm.forward_address is not None
        return self._mitm.forward_address

    @property
    def reverse_address(self) -> Address | None:
        return self._mitm.reverse_address if self._mitm is not None else None

    @property
    def admin_address(self) -> Address | None:
        return self._admin.address if self._admin is not None else None

    @property
    def ca_cert_path(self) -> Path:
        return ca_cert_path(self.settings.proxy.ca_dir)

    @property
    def shipping(self) -> bool:
        return self._shipper is not None

    def ready(self) -> bool:
        control_ready = self._control is None or self._control.ready
        return (
            self._mitm is not None
            and self._mitm.running
            and not self.spool.refusing
            and control_ready
        )

    # -- lifecycle ------------------------------------------------------------------------------

    async def ship_backlog(self, timeout_seconds: float = 30.0) -> int:
        """Deliver what an earlier run spooled but never shipped, before the proxy listens
        (``agentops up``): the spend counters rebuilt from the store next then count it, so a
        restart cannot reset a hard budget. Bounded; whatever is left ships as usual."""
        if self._sink is None:
            return 0
        await asyncio.to_thread(self.spool.open)
        shipper = Shipper(self.spool, self._sink, self.settings.proxy)
        shipped = 0
        try:
            async with asyncio.timeout(timeout_seconds):
                while lines := await shipper.ship_once():
                    shipped += lines
        except Exception as exc:  # noqa: BLE001 - the shipper retries it after start
            log.warning("spool backlog not shipped before start", extra={"error": repr(exc)})
        return shipped

    async def start(self) -> None:
        p = self.settings.proxy
        await asyncio.to_thread(self.spool.open)
        forward = claim_port((p.listen_host, p.listen_port))
        reverse = claim_port((p.listen_host, p.reverse_port)) if p.reverse_port else None
        proxy_id = p.proxy_id or f"{socket.gethostname()}:{forward[1]}"
        if self._control is not None:
            await self._control.start(proxy_id)
        addons = build_pipeline(
            p,
            reverse_port=reverse[1] if reverse else None,
            spool=self.spool,
            gate=self._gate,
            verifier=self._verifier,
            proxy_id=proxy_id,
            stream_cut=self._control.gate.stream_cut if self._control else None,
        )
        config = MitmConfig(
            forward=forward,
            reverse=reverse,
            ca_dir=p.ca_dir,
            intercept=intercepted_hosts(p),
            stream_bodies_over=p.max_request_body_bytes,
        )
        self._mitm = MitmServer(config, addons)
        await self._mitm.start()
        if p.admin_port:
            self._admin = AdminServer(p.listen_host, p.admin_port, self.ready)
            await self._admin.start()
        await self._start_shipping()

    async def stop(self) -> None:
        if self._shipper is not None:
            await self._shipper.stop()
            self._shipper = None
        if self._mitm is not None:
            await self._mitm.stop()
        if self._admin is not None:
            await self._admin.stop()
            self._admin = None
        if self._control is not None:
            await self._control.close()
        if self._http_sink is not None:
            await self._http_sink.close()
            self._http_sink = None
        await asyncio.to_thread(self.spool.close)

    async def _start_shipping(self) -> None:
        p = self.settings.proxy
        sink = self._sink
        if sink is None and p.control_plane_url:
            self._http_sink = HttpSink(p.control_plane_url, p.api_key)
            await self._http_sink.start()
            sink = self._http_sink
        if sink is None:
            log.warning(
                "no control plane configured: records stay in the spool",
                extra={"spool_dir": str(p.spool_dir)},
            )
            return
        self._shipper = Shipper(self.spool, sink, p)
        self._shipper.start()
