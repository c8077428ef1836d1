"""The identify addon on its own (mitmproxy's ``tflow``): who is calling, from our headers, which
never reach the provider; a tunnel without required credentials is refused."""

from __future__ import annotations

import pytest

from agentops.settings import ProxySettings
from proxy.identify import Identify
from proxy.identity_rules import Sessions, UnverifiedKeys
from proxy.state import call_state
from tests.factories import (
    addon_context,  # noqa: F401  # fixture
    llm_flow,
    routed,
)

pytestmark = pytest.mark.usefixtures("addon_context")
SETTINGS = ProxySettings(default_org="acme")


def identify() -> Identify:
    return Identify(SETTINGS, UnverifiedKeys("acme"), Sessions(60))


def test_identify_takes_agent_and_run_from_our_headers_and_strips_them() -> None:
    flow = routed(llm_flow(X_AgentOps_Agent="bot", X_AgentOps_Run_Id="run-7"))
    identify().requestheaders(flow)
    state = call_state(flow)
    assert state is not None
    assert state.identity is not None
    assert (state.identity.org, state.identity.agent, state.identity.run_id) == (
        "acme",
        "bot",
        "run-7",
    )
    assert not [n for n in flow.request.headers if n.lower().startswith("x-agentops")]


def test_identify_gives_calls_without_our_headers_the_default_org() -> None:
    flow = routed(llm_flow())
    identify().requestheaders(flow)
    state = call_state(flow)
    assert state is not None
    assert state.identity is not None
    assert state.identity.org == "acme"
    assert flow.response is None


def test_our_headers_are_stripped_even_from_flows_that_are_not_llm_calls() -> None:
    flow = routed(llm_flow(host="example.com", X_AgentOps_Agent="bot"))
    identify().requestheaders(flow)
    assert call_state(flow) is None
    assert "x-agentops-agent" not in flow.request.headers


def test_a_tunnel_without_required_credentials_is_refused_with_407() -> None:
    strict = ProxySettings(default_org="acme", require_credentials=True)
    flow = llm_flow(host="example.com")
    Identify(strict, UnverifiedKeys("acme"), Sessions(60)).http_connect(flow)
    assert flow.response is not None
    assert flow.response.status_code == 407
    assert flow.response.headers["proxy-authenticate"] == 'Basic realm="agentops"'
