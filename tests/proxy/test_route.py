"""The route addon on its own (mitmproxy's ``tflow``): LLM hosts get a call state, other hosts are
left alone, and an upstream override sends the call elsewhere under its original host."""

from __future__ import annotations

import pytest
from mitmproxy.test import tflow, tutils

from proxy.pipeline import intercepted_hosts
from proxy.providers.registry import resolve_reverse
from proxy.route import Route
from proxy.state import call_state
from tests.factories import PROXY_SETTINGS as SETTINGS
from tests.factories import (
    addon_context,  # noqa: F401  # fixture
    front,
    llm_flow,
)

pytestmark = pytest.mark.usefixtures("addon_context")


def test_route_leaves_other_hosts_alone_and_attaches_state_to_llm_hosts() -> None:
    other = tflow.tflow(req=tutils.treq(host="example.com", port=443))
    Route(intercepted_hosts(SETTINGS), {}, None, resolve_reverse).requestheaders(other)
    assert call_state(other) is None
    assert front(llm_flow()) is not None


def test_route_sends_an_overridden_host_elsewhere() -> None:
    flow = llm_flow()
    Route(
        intercepted_hosts(SETTINGS), {"api.openai.com": "http://127.0.0.1:9"}, None, resolve_reverse
    ).requestheaders(flow)
    state = call_state(flow)
    assert state is not None
    assert state.host == "api.openai.com"
    assert (flow.request.host, flow.request.port, flow.request.scheme) == ("127.0.0.1", 9, "http")
