"""The addon chain, in pipeline order. This list *is* the pipeline.

route -> identify -> [egress] -> classify -> gate -> meter -> record

- route: reverse endpoints and upstream overrides; LLM hosts get a call state, others pass.
- identify: org, agent and run; strips X-AgentOps-* and proxy credentials.
- egress (with a parent proxy): through the parent, or direct for NO_PROXY hosts.
- classify: provider adapter, endpoint, request facts (model, stream, estimates).
- gate: allow or refuse (in the provider's own error shape) before anything goes upstream.
- meter: tee streams chunk by chunk, parse non-streamed answers, notice cancellations.
- record: build the call record and append it to the spool.
"""

from __future__ import annotations

from agentops.settings import ProxySettings
from proxy._mitm import close_upstream
from proxy.classify import Classify
from proxy.egress import Egress, parse_parent
from proxy.gate import Gate, GateAddon
from proxy.hosts import HostMatcher
from proxy.identify import Identify
from proxy.identity_rules import KeyVerifier, Sessions
from proxy.meter import Meter, StreamCut
from proxy.no_proxy import NoProxy
from proxy.open_calls import OpenCalls
from proxy.providers.registry import ProviderRegistry, resolve_reverse
from proxy.recorder import CallObserver, Record
from proxy.route import Route
from proxy.spool import Spool
from proxy.tokenizer import count_text


def intercepted_hosts(settings: ProxySettings) -> HostMatcher:
    return HostMatcher.from_patterns([*settings.llm_hosts, *settings.extra_llm_hosts])


def build_pipeline(
    settings: ProxySettings,
    *,
    reverse_port: int | None,
    spool: Spool,
    gate: Gate,
    verifier: KeyVerifier,
    proxy_id: str | None,
    stream_cut: StreamCut | None = None,
    observer: CallObserver | None = None,
) -> list[object]:
    egress = (
        [
            Egress(
                parse_parent(settings.upstream_proxy.get_secret_value()),
                NoProxy.parse(settings.upstream_no_proxy),
            )
        ]
        if settings.upstream_proxy
        else []
    )
    return [
        Route(
            intercepted_hosts(settings), settings.upstream_overrides, reverse_port, resolve_reverse
        ),
        Identify(
            settings,
            verifier,
            Sessions(settings.session_idle_seconds),
            intercepted_hosts(settings).matches,
        ),
        *egress,
        Classify(ProviderRegistry.from_settings(settings).adapter_for_host),
        GateAddon(gate, lambda: spool.refusing),
        Meter(stream_cut, close_upstream),
        Record(
            spool,
            count_text=count_text,
            azure_deployments=settings.azure_deployments,
            proxy_id=proxy_id,
            durable_before_response=settings.durable_before_response,
            capture_content=settings.capture_content,
            observer=observer,
            open_calls=OpenCalls(settings.spool_dir),
        ),
    ]
