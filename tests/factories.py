"""Shared test factories: the one place to look for a call record, a flow, an org, a key or a
CLI run.

- ``record()`` is a call record as the proxy ships it (JSON-ready); ``wire_record()`` is the same
  parsed into the wire type both sides import, so a factory that drifts from the schema fails.
- ``llm_flow()`` is an LLM call as mitmproxy hands it to an addon, built with mitmproxy's own
  ``tflow``/``tutils`` helpers (no sockets); ``routed()``, ``identified()`` and
  ``front()`` run the chain's first addons on it (route, identify, classify),
  and the ``addon_context`` fixture is mitmproxy's ``taddons.context()``.
- ``make_org()`` writes an org, a team and an agent straight to the store; ``api_key()`` creates a
  key through the real API for a signed-up owner (the ``signup`` fixture of
  tests/control_plane/conftest.py), and ``ApiOrg`` is an owner with an ingest key.
- ``invoke()`` runs a click command the way a user would and re-raises what it raised.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click
import pytest
from click.testing import CliRunner
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from agentops.settings import ProxySettings
from agentops.wire.record import CallRecord
from proxy.classify import Classify
from proxy.identify import Identify
from proxy.identity_rules import Sessions, UnverifiedKeys
from proxy.pipeline import intercepted_hosts
from proxy.providers.registry import ProviderRegistry, resolve_reverse
from proxy.route import Route
from proxy.state import CallState, call_state
from tests.control_plane.conftest import api_key
from tests.harness.api_org import Org as ApiOrg
from tests.harness.api_org import call_record
from tests.harness.records import T0, record
from tests.harness.store_org import Org as StoreOrg
from tests.harness.store_org import make_org

__all__ = [
    "BODY",
    "PROXY_SETTINGS",
    "T0",
    "ApiOrg",
    "StoreOrg",
    "addon_context",
    "api_key",
    "call_record",
    "front",
    "identified",
    "invoke",
    "llm_flow",
    "make_org",
    "record",
    "routed",
    "wire_record",
]

PROXY_SETTINGS = ProxySettings(default_org="acme")
BODY = {"model": "gpt-4o", "max_tokens": 7, "messages": [{"role": "user", "content": "hi"}]}


def wire_record(**fields: Any) -> CallRecord:
    """``record(**fields)`` parsed into the wire type (fails when the factory drifts)."""
    return CallRecord.model_validate(record(**fields))


def llm_flow(
    host: str = "api.openai.com",
    body: Any = BODY,
    path: str = "/v1/chat/completions",
    **headers: str,
) -> http.HTTPFlow:
    """A POST of ``body`` to ``host`` as a forward-proxied HTTPS flow (``x_agent`` → ``x-agent``)."""
    request = tutils.treq(
        host=host,
        port=443,
        scheme=b"https",
        method=b"POST",
        path=path.encode(),
        headers=http.Headers(((b"content-type", b"application/json"),)),
        content=json.dumps(body).encode(),
    )
    for name, value in headers.items():
        request.headers[name.replace("_", "-")] = value
    return tflow.tflow(req=request)


def routed(flow: http.HTTPFlow, settings: ProxySettings = PROXY_SETTINGS) -> http.HTTPFlow:
    """``flow`` after the route addon: an LLM host's flow carries a call state."""
    Route(intercepted_hosts(settings), {}, None, resolve_reverse).requestheaders(flow)
    return flow


def identified(flow: http.HTTPFlow, settings: ProxySettings = PROXY_SETTINGS) -> http.HTTPFlow:
    """``flow`` after route and identify (unverified keys, the settings' default org)."""
    identify = Identify(settings, UnverifiedKeys(settings.default_org), Sessions(60))
    identify.requestheaders(routed(flow, settings))
    return flow


def front(flow: http.HTTPFlow, settings: ProxySettings = PROXY_SETTINGS) -> CallState | None:
    """route -> identify -> classify, as the pipeline runs them; the flow's call state."""
    classify = Classify(ProviderRegistry.from_settings(settings).adapter_for_host)
    classify.requestheaders(identified(flow, settings))
    classify.request(flow)
    return call_state(flow)


def invoke(command: click.Command, args: list[str], input: str | None = None, **kw: Any) -> str:
    """Run ``command`` with ``args``; it must exit 0. Exceptions propagate; returns stdout."""
    result = CliRunner().invoke(command, args, input=input, catch_exceptions=False, **kw)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def addon_context() -> Iterator[taddons.context]:
    """mitmproxy's test context, so an addon under test sees options and a master."""
    with taddons.context() as context:  # type: ignore[no-untyped-call]
        yield context
