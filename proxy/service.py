"""``ProxyService``: the whole proxy as one object with ``start()`` and ``stop()``.

Standalone (``agentops proxy``) it ships records over HTTP to the control plane, or keeps them
in the spool when none is configured; embedded (``agentops up``) the caller hands it an
in-process ``RecordSink`` and both share one event loop. Every resource is opened in ``start``
and closed in ``stop``, in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agentops.settings import Settings
from agentops.sinks import RecordSink
from agentops.statebus import MemoryStateBus, SpendCounters
from proxy import tokenizer
from proxy._mitm import Address, MitmConfig, MitmServer, ca_cert_path, claim_port
from proxy.admin import AdminServer
from proxy.control.key_verifier import StateKeyVerifier
from proxy.control_wiring import ControlState
from proxy.egress import parse_parent
from proxy.gate import AllowAll, Gate
from proxy.http_sink import HttpSink
from proxy.identity_rules import KeyVerifier, UnverifiedKeys
from proxy.open_calls import OpenCalls
from proxy.pipeline import build_pipeline, intercepted_hosts
from proxy.runtime_file import RunningProxy, remove_runtime, write_runtime
from proxy.shipper import Shipper
from proxy.spool import Spool
from proxy.warmup import warm_up

if TYPE_CHECKING:
    from proxy.telemetry.handoff import GenAiTelemetry

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
        *,
        serve_metrics: bool = True,
    ) -> None:
        """``counters``: the hard budgets' spend counters, when not the ones the settings imply
        (Redis beside the control state, or in memory when embedded). ``serve_metrics``: False
        when another server of this process already serves its registry (``agentops up``)."""
        self._serve_metrics = serve_metrics
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
        self._metrics: AdminServer | None = None
        self._telemetry: GenAiTelemetry | None = None
        self._stop_serving: Callable[[], None] | None = None

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
    def transparent_address(self) -> Address | None:
        return self._mitm.transparent_address if self._mitm is not None else None

    @property
    def admin_address(self) -> Address | None:
        return self._admin.address if self._admin is not None else None

    @property
    def metrics_address(self) -> Address | None:
        return self._metrics.address if self._metrics is not None else None

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

    def readiness(self) -> dict[str, object]:
        """What ``/readyz`` reports beside its status: the control state's health and age."""
        if self._control is None:
            return {"control_state": "none configured"}
        health = self._control.health()
        age = health.age_seconds
        return {
            "control_state": health.reason,
            "control_state_age_seconds": None if age is None else round(age, 3),
            "state_max_age_seconds": self.settings.proxy.state_max_age_seconds,
            "spool": "refusing" if self.spool.refusing else "ok",
        }

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
        forward = claim_port((p.listen_host, p.listen_port))
        reverse = claim_port((p.listen_host, p.reverse_port)) if p.reverse_port else None
        transparent = (p.listen_host, p.transparent_port) if p.transparent_port else None
        proxy_id = p.proxy_id or f"{socket.gethostname()}:{forward[1]}"
        self._stop_serving = tokenizer.serve()
        # First-use costs are paid here, beside the spool and the first control-state sync,
        # so that no call ever waits for one (proxy/warmup.py).
        await asyncio.gather(
            asyncio.to_thread(self.spool.open),
            warm_up(),
            self._control.start(proxy_id) if self._control is not None else asyncio.sleep(0),
        )
        # Calls a killed predecessor left open on this spool: final records, before serving.
        await asyncio.to_thread(OpenCalls(p.spool_dir).finalise, self.spool)
        if p.otlp_endpoint:
            from proxy.telemetry.handoff import GenAiTelemetry  # only when configured

            self._telemetry = GenAiTelemetry(
                p.otlp_endpoint,
                metrics_interval_seconds=p.otlp_metrics_interval_seconds,
                log_level=self.settings.log_level,
                log_format=self.settings.log_format,
            )
            await self._telemetry.start()  # its exporter process, ready
        addons = build_pipeline(
            p,
            reverse_port=reverse[1] if reverse else None,
            spool=self.spool,
            gate=self._gate,
            verifier=self._verifier,
            proxy_id=proxy_id,
            stream_cut=self._control.gate.stream_cut if self._control else None,
            observer=self._telemetry,
        )
        config = MitmConfig(
            forward=forward,
            reverse=reverse,
            ca_dir=p.ca_dir,
            intercept=intercepted_hosts(p),
            stream_bodies_over=p.max_request_body_bytes,
            transparent=transparent,
            parent=parse_parent(p.upstream_proxy.get_secret_value()).url
            if p.upstream_proxy
            else None,
        )
        self._mitm = MitmServer(config, addons)
        await self._mitm.start()
        if p.admin_port:
            self._admin = AdminServer(
                p.listen_host,
                p.admin_port,
                self.ready,
                self.readiness,
                serve_metrics=self._serve_metrics,
            )
            await self._admin.start()
        if p.metrics_port:
            self._metrics = AdminServer(
                p.metrics_host,
                p.metrics_port,
                self.ready,
                self.readiness,
                serve_metrics=self._serve_metrics,
            )
            await self._metrics.start()
        await self._start_shipping()
        self._announce_runtime()

    def _announce_runtime(self) -> None:
        host, port = self.forward_address
        write_runtime(
            self.settings.home,
            RunningProxy(
                pid=os.getpid(),
                host=host,
                port=port,
                ca_dir=str(self.settings.proxy.ca_dir),
                reverse_port=self.reverse_address[1] if self.reverse_address else None,
                admin_port=self.admin_address[1] if self.admin_address else None,
            ),
        )

    async def stop(self) -> None:
        remove_runtime(self.settings.home, os.getpid())
        if self._shipper is not None:
            await self._shipper.stop()
            self._shipper = None
        if self._mitm is not None:
            await self._mitm.stop()
        for server in (self._admin, self._metrics):
            if server is not None:
                await server.stop()
        self._admin = self._metrics = None
        if self._control is not None:
            await self._control.close()
        if self._http_sink is not None:
            await self._http_sink.close()
            self._http_sink = None
        if self._telemetry is not None:  # its exporter process flushes and exits
            await self._telemetry.stop()
            self._telemetry = None
        await asyncio.to_thread(self.spool.close)
        if self._stop_serving is not None:
            self._stop_serving()
            self._stop_serving = None

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
