"""Host → adapter, and reverse-proxy path → upstream host and path."""

from __future__ import annotations

import pytest

from agentops.settings import ProxySettings
from proxy.providers import ProviderRegistry, resolve_reverse


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("api.openai.com", "openai"),
        ("API.OpenAI.com", "openai"),
        ("api.openai.com:443", "openai"),
        ("api.anthropic.com", "anthropic"),
        ("generativelanguage.googleapis.com", "gemini"),
        ("us-central1-aiplatform.googleapis.com", "vertex_ai"),
        ("aiplatform.googleapis.com", "vertex_ai"),
        ("my-resource.openai.azure.com", "azure"),
        ("my-resource.cognitiveservices.azure.com", "azure"),
        ("bedrock-runtime.us-east-1.amazonaws.com", "bedrock"),
        ("api.mistral.ai", "mistral"),
        ("api.groq.com", "groq"),
        ("api.deepseek.com", "deepseek"),
        ("api.together.xyz", "together"),
        ("api.fireworks.ai", "fireworks"),
        ("openrouter.ai", "openrouter"),
        ("api.x.ai", "xai"),
        ("example.com", None),
        ("s3.us-east-1.amazonaws.com", None),
        ("evil-openai.azure.com.attacker.net", None),
    ],
)
def test_builtin_hosts(host: str, provider: str | None) -> None:
    adapter = ProviderRegistry().adapter_for_host(host)
    assert (adapter.name if adapter else None) == provider


def test_extra_hosts_from_settings_are_openai_compatible() -> None:
    settings = ProxySettings(extra_llm_hosts=["vllm.internal:8000", "*.ollama.lan"])
    registry = ProviderRegistry.from_settings(settings)
    assert registry.adapter_for_host("vllm.internal:8000").name == "openai_compatible"  # type: ignore[union-attr]
    assert registry.adapter_for_host("vllm.internal:9000") is None
    assert registry.adapter_for_host("gpu1.ollama.lan:11434").name == "openai_compatible"  # type: ignore[union-attr]


def test_registered_names_and_precedence() -> None:
    registry = ProviderRegistry()
    registry.register_compatible_host("api.openai.com", "corporate_gateway")
    assert registry.adapter_for_host("api.openai.com").name == "corporate_gateway"  # type: ignore[union-attr]


def test_remembered_answers_follow_registrations_and_stay_right_past_the_memo_bound() -> None:
    registry = ProviderRegistry()
    assert registry.adapter_for_host("vllm.internal:8000") is None
    assert registry.adapter_for_host("api.openai.com").name == "openai"  # type: ignore[union-attr]
    registry.register_compatible_host("vllm.internal:8000")
    registry.register_compatible_host("api.openai.com", "corporate_gateway")
    assert registry.adapter_for_host("vllm.internal:8000").name == "openai_compatible"  # type: ignore[union-attr]
    assert registry.adapter_for_host("api.openai.com").name == "corporate_gateway"  # type: ignore[union-attr]
    hosts = [f"r{i}.openai.azure.com" if i % 2 else f"h{i}.example.org" for i in range(3000)]
    for _ in range(2):
        found = [registry.adapter_for_host(host) for host in hosts]
        assert [a.name if a else None for a in found] == [
            "azure" if i % 2 else None for i in range(3000)
        ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/openai/v1/chat/completions", ("api.openai.com", "/v1/chat/completions")),
        ("/anthropic/v1/messages", ("api.anthropic.com", "/v1/messages")),
        ("/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
         ("generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")),
        ("/mistral/v1/chat/completions", ("api.mistral.ai", "/v1/chat/completions")),
        ("/groq/openai/v1/chat/completions", ("api.groq.com", "/openai/v1/chat/completions")),
        ("/deepseek/chat/completions", ("api.deepseek.com", "/chat/completions")),
        ("/together/v1/chat/completions", ("api.together.xyz", "/v1/chat/completions")),
        ("/fireworks/inference/v1/chat/completions", ("api.fireworks.ai", "/inference/v1/chat/completions")),
        ("/openrouter/api/v1/chat/completions", ("openrouter.ai", "/api/v1/chat/completions")),
        ("/xai/v1/chat/completions", ("api.x.ai", "/v1/chat/completions")),
        ("/azure/my-res/openai/deployments/d1/chat/completions?api-version=2024-10-21",
         ("my-res.openai.azure.com", "/openai/deployments/d1/chat/completions?api-version=2024-10-21")),
        ("/bedrock/eu-west-1/model/m/converse", ("bedrock-runtime.eu-west-1.amazonaws.com", "/model/m/converse")),
        ("/openai", ("api.openai.com", "/")),
        ("/azure/evil.com%2F/x", None),
        ("/azure/a.b/x", None),
        ("/bedrock/us-east-1@evil.com/x", None),
        ("/azure", None),
        ("/unknown/v1/chat/completions", None),
        ("/", None),
    ],
)  # fmt: skip
def test_resolve_reverse(path: str, expected: tuple[str, str] | None) -> None:
    assert resolve_reverse(path) == expected
