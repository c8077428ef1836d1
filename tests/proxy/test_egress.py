"""The egress addon on its own (mitmproxy's ``tflow``): calls leave through the parent proxy with
its credentials, except to the NO_PROXY hosts, which go direct."""

from __future__ import annotations

import pytest
from mitmproxy import http

from proxy.egress import Egress, parse_parent
from proxy.no_proxy import NoProxy
from tests.factories import (
    addon_context,  # noqa: F401  # fixture
    llm_flow,
)

pytestmark = pytest.mark.usefixtures("addon_context")

PARENT = "http://user:secret@parent.corp:3128"


def egress(*no_proxy: str) -> Egress:
    return Egress(parse_parent(PARENT), NoProxy.parse(no_proxy))


def test_a_call_goes_through_the_parent() -> None:
    flow = llm_flow()
    egress("internal.corp").requestheaders(flow)
    assert flow.server_conn.via == ("http", ("parent.corp", 3128))


def test_a_no_proxy_host_goes_direct() -> None:
    flow = llm_flow(host="llm.internal.corp")
    egress("internal.corp").requestheaders(flow)
    assert flow.server_conn.via is None


def test_the_parents_credentials_go_on_our_connect_not_to_the_provider() -> None:
    flow = llm_flow()
    addon = egress()
    addon.http_connect(flow)
    addon.requestheaders(flow)
    assert "proxy-authorization" not in flow.request.headers
    addon.http_connect_upstream(flow)
    assert flow.request.headers["proxy-authorization"].startswith("Basic ")


def test_a_call_already_answered_is_left_alone() -> None:
    flow = llm_flow()
    flow.response = http.Response.make(403)
    egress().requestheaders(flow)
    assert flow.server_conn.via is None
