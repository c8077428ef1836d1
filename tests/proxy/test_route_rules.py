"""Pure rules of the proxy: which hosts are intercepted, who is calling, which run."""

from __future__ import annotations

import base64

import pytest

from proxy.hosts import HostMatcher
from proxy.identity_rules import Sessions, parse_proxy_authorization, trace_id
from proxy.route import parse_overrides


@pytest.mark.parametrize(
    ("host", "port", "intercepted"),
    [
        ("api.openai.com", 443, True),
        ("API.OpenAI.com", 443, True),
        ("evil-api.openai.com.example.org", 443, False),
        ("myres.openai.azure.com", 443, True),
        ("bedrock-runtime.eu-west-1.amazonaws.com", 443, True),
        ("s3.amazonaws.com", 443, False),
        ("vllm.internal", 8000, True),
        ("vllm.internal", 9000, False),
        ("github.com", 443, False),
    ],
)
def test_only_llm_hosts_are_intercepted(host: str, port: int, intercepted: bool) -> None:
    matcher = HostMatcher.from_patterns(
        [
            "api.openai.com",
            "*.openai.azure.com",
            "bedrock-runtime.*.amazonaws.com",
            "vllm.internal:8000",
        ]
    )
    assert matcher.matches(host, port) is intercepted


def test_remembered_answers_stay_right_past_the_memo_bound() -> None:
    matcher = HostMatcher.from_patterns(["api.openai.com", "*.openai.azure.com"])
    hosts = [(f"h{i}.openai.azure.com" if i % 2 else f"h{i}.example.org", 443) for i in range(5000)]
    for _ in range(2):  # asked again: from the memo, or after it was cleared
        assert [matcher.matches(h, p) for h, p in hosts] == [i % 2 == 1 for i in range(5000)]
    assert matcher.matches("api.openai.com", 443)
    assert not matcher.matches("api.openai.com.example.org", 443)


def _basic(value: str) -> str:
    return "Basic " + base64.b64encode(value.encode()).decode()


@pytest.mark.parametrize(
    ("header", "agent", "key"),
    [
        (_basic("bot:ak-123"), "bot", "ak-123"),
        (_basic("bot:with:colons"), "bot", "with:colons"),
        (_basic("bot:"), "bot", ""),
    ],
)
def test_proxy_credentials_are_agent_and_key(header: str, agent: str, key: str) -> None:
    credentials = parse_proxy_authorization(header)
    assert credentials is not None
    assert (credentials.agent, credentials.key) == (agent, key)
    assert key not in repr(credentials) or not key


@pytest.mark.parametrize(
    "header", [None, "", "Bearer x", "Basic !!!", _basic("nocolon"), _basic(":key")]
)
def test_malformed_proxy_credentials_are_none(header: str | None) -> None:
    assert parse_proxy_authorization(header) is None


def test_traceparent_gives_the_trace_id() -> None:
    assert trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == (
        "4bf92f3577b34da6a3ce929d0e0e4736"
    )
    assert trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01") is None
    assert trace_id("garbage") is None


def test_a_session_lasts_until_an_idle_gap() -> None:
    now = [0.0]
    sessions = Sessions(idle_seconds=10, clock=lambda: now[0])
    first = sessions.run_for("org", "bot")
    now[0] = 9.0
    assert sessions.run_for("org", "bot") == first
    assert sessions.run_for("org", "other") != first
    now[0] = 19.5
    assert sessions.run_for("org", "bot") != first


def test_upstream_overrides_must_be_http_urls() -> None:
    parsed = parse_overrides({"API.openai.com": "http://127.0.0.1:9000/prefix/"})
    upstream = parsed["api.openai.com"]
    assert (upstream.scheme, upstream.host, upstream.port, upstream.path_prefix) == (
        "http",
        "127.0.0.1",
        9000,
        "/prefix",
    )
    with pytest.raises(ValueError, match="not an http"):
        parse_overrides({"api.openai.com": "127.0.0.1:9000"})
