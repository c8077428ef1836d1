"""The classify addon on its own (mitmproxy's ``tflow``): the provider, the model and the output
cap, read from the request the agent sent."""

from __future__ import annotations

from typing import Any

import pytest

from agentops.settings import ProxySettings
from proxy.classify import Classify
from proxy.providers.registry import ProviderRegistry
from proxy.state import CallState, call_state
from tests.factories import (
    addon_context,  # noqa: F401  # fixture
    identified,
    llm_flow,
)

pytestmark = pytest.mark.usefixtures("addon_context")


def classified(**flow: Any) -> CallState:
    request = identified(llm_flow(**flow))
    classify = Classify(ProviderRegistry.from_settings(ProxySettings()).adapter_for_host)
    classify.requestheaders(request)
    classify.request(request)
    state = call_state(request)
    assert state is not None
    return state


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        ({}, ("openai", "gpt-4o", 7)),
        (
            {
                "host": "api.anthropic.com",
                "path": "/v1/messages",
                "body": {"model": "claude-sonnet-4", "max_tokens": 3, "messages": []},
            },
            ("anthropic", "claude-sonnet-4", 3),
        ),
    ],
)
def test_classify_reads_the_provider_the_model_and_the_output_cap(
    flow: dict[str, Any], expected: tuple[str, str, int]
) -> None:
    state = classified(**flow)
    assert state.endpoint is not None
    got = (state.endpoint.provider, state.request.model, state.request.max_output_tokens)
    assert got == expected


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "utf8", "bogus", ""])
def test_an_encoded_request_body_is_read_as_get_content_reads_it(encoding: str) -> None:
    flow = identified(llm_flow())
    plain = flow.request.raw_content
    if encoding in ("gzip", "br", "zstd"):
        flow.request.encode(encoding)
    else:
        flow.request.headers["Content-Encoding"] = encoding  # not one mitmproxy decodes
    expected = flow.request.get_content(strict=False)
    classify = Classify(ProviderRegistry.from_settings(ProxySettings()).adapter_for_host)
    classify.requestheaders(flow)
    classify.request(flow)
    state = call_state(flow)
    assert state is not None
    assert state.request.model == ("gpt-4o" if expected == plain else None)
