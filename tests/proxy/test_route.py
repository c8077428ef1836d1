"""The route addon on its own (mitmproxy's ``tflow``): LLM hosts get a call state, other hosts are
left alone, and an upstream override sends the call elsewhere under its original host."""

from __future__ import annotations

import pytest
from mitmproxy import http
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


def _on_reverse_listener(path: str) -> http.HTTPFlow:
    request = tutils.treq(
        host="127.0.0.1", port=8081, scheme=b"http", authority=b"", path=path.encode()
    )
    request.headers["host"] = "127.0.0.1:8081"  # origin form: the Host header names us
    flow = tflow.tflow(req=request)
    flow.client_conn.sockname = ("127.0.0.1", 8081)
    return flow


def test_reverse_paths_route_the_same_when_remembered_and_past_the_memo_bound() -> None:
    route = Route(
        intercepted_hosts(SETTINGS),
        {"api.openai.com": "http://127.0.0.1:9/base"},
        8081,
        resolve_reverse,
    )
    paths = [
        *(
            f"/azure/res{i}/openai/deployments/d/chat/completions?api-version={i}"
            for i in range(1500)
        ),
        "/openai/v1/chat/completions?key=secret",
        "/OpenAI/v1/embeddings",
        "/nowhere/v1/x",
    ]
    for _ in range(2):  # resolved, then remembered (or resolved again after the memo cleared)
        for path in paths:
            flow = _on_reverse_listener(path)
            route.requestheaders(flow)
            target = resolve_reverse(path)
            state = call_state(flow)
            if target is None:
                assert state is None
                assert flow.response is not None
                assert flow.response.status_code == 404
                continue
            host, rest = target
            assert state is not None
            assert (state.mode, state.host, state.port) == ("reverse", host, 443)
            assert state.path == rest.split("?", 1)[0]
            if host == "api.openai.com":
                assert flow.request.url == "http://127.0.0.1:9/base" + rest
            else:
                assert flow.request.url == f"https://{host}{rest}"
                assert flow.request.headers["host"] == host
    memo = route._reverse_memo
    assert 0 < len(memo) <= 1024
    assert not any("?" in path for path in memo)  # a query string (Gemini's key) is never kept
