"""Which adapter meters which host, and where a reverse-proxy path goes upstream.

Built once from settings (``ProviderRegistry.from_settings``) and read-only afterwards, so the
hot path shares it across flows without locks.
"""

from __future__ import annotations

import fnmatch
import re

from agentops.settings import ProxySettings
from proxy.providers.anthropic import AnthropicAdapter
from proxy.providers.azure import AzureOpenAIAdapter
from proxy.providers.base import ProviderAdapter
from proxy.providers.bedrock import BedrockAdapter
from proxy.providers.gemini import GeminiAdapter
from proxy.providers.openai import OpenAIAdapter

# (host pattern, adapter factory). First match wins; patterns are fnmatch, case-insensitive.
BUILTIN_HOSTS: tuple[tuple[str, ProviderAdapter], ...] = (
    ("api.openai.com", OpenAIAdapter("openai")),
    ("api.anthropic.com", AnthropicAdapter()),
    ("generativelanguage.googleapis.com", GeminiAdapter("gemini")),
    ("*-aiplatform.googleapis.com", GeminiAdapter("vertex_ai")),
    ("aiplatform.googleapis.com", GeminiAdapter("vertex_ai")),
    ("*.openai.azure.com", AzureOpenAIAdapter()),
    ("*.cognitiveservices.azure.com", AzureOpenAIAdapter()),
    ("*.services.ai.azure.com", AzureOpenAIAdapter()),
    ("bedrock-runtime.*.amazonaws.com", BedrockAdapter()),
    ("bedrock-runtime-fips.*.amazonaws.com", BedrockAdapter()),
    ("api.mistral.ai", OpenAIAdapter("mistral")),
    ("api.groq.com", OpenAIAdapter("groq")),
    ("api.deepseek.com", OpenAIAdapter("deepseek")),
    ("api.together.xyz", OpenAIAdapter("together")),
    ("api.together.ai", OpenAIAdapter("together")),
    ("api.fireworks.ai", OpenAIAdapter("fireworks")),
    ("openrouter.ai", OpenAIAdapter("openrouter")),
    ("api.x.ai", OpenAIAdapter("xai")),
)


_MEMO_MAX = 1024


class ProviderRegistry:
    def __init__(self, hosts: tuple[tuple[str, ProviderAdapter], ...] = BUILTIN_HOSTS) -> None:
        self._hosts: list[tuple[str, ProviderAdapter]] = [(p.lower(), a) for p, a in hosts]
        self._exact: dict[str, ProviderAdapter] = {}
        self._memo: dict[str, ProviderAdapter | None] = {}
        self._reindex()

    @classmethod
    def from_settings(cls, settings: ProxySettings) -> ProviderRegistry:
        registry = cls()
        for host in settings.extra_llm_hosts:
            registry.register_compatible_host(host)
        return registry

    def register_compatible_host(
        self, host_pattern: str, provider_name: str = "openai_compatible"
    ) -> None:
        """An extra OpenAI-compatible host (vLLM, Ollama, a gateway): ``host`` or ``host:port``,
        fnmatch wildcards allowed. Registered hosts take precedence over built-in ones."""
        self._hosts.insert(0, (host_pattern.lower(), OpenAIAdapter(provider_name)))
        self._reindex()

    def adapter_for_host(self, host: str) -> ProviderAdapter | None:
        """``host`` may carry a port; ``host:port`` patterns are tried before bare hosts.
        Answers are remembered per host (every call asks; hosts come from clients, so the
        memo is bounded, and emptied when a host is registered)."""
        memo = self._memo
        if host in memo:
            return memo[host]
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        found = memo[host] = self._lookup(host)
        return found

    def _lookup(self, host: str) -> ProviderAdapter | None:
        host = host.lower().rstrip(".")
        bare = host.rsplit(":", 1)[0] if re.search(r":\d+$", host) else host
        for candidate in (host, bare) if bare != host else (host,):
            if candidate in self._exact:
                return self._exact[candidate]
        for pattern, adapter in self._hosts:
            if any(ch in pattern for ch in "*?[") and (
                fnmatch.fnmatchcase(host, pattern) or fnmatch.fnmatchcase(bare, pattern)
            ):
                return adapter
        return None

    def _reindex(self) -> None:
        self._memo.clear()
        self._exact = {}
        for pattern, adapter in self._hosts:
            if not any(ch in pattern for ch in "*?["):
                self._exact.setdefault(pattern, adapter)


# Reverse endpoints (base_url mode): first path segment → upstream host; the rest of the path
# is sent as is. Groq's clients add /openai/v1, OpenRouter's /api/v1, Fireworks' /inference/v1.
REVERSE_PREFIXES: dict[str, str] = {
    "openai": "api.openai.com",
    "anthropic": "api.anthropic.com",
    "gemini": "generativelanguage.googleapis.com",
    "mistral": "api.mistral.ai",
    "groq": "api.groq.com",
    "deepseek": "api.deepseek.com",
    "together": "api.together.xyz",
    "fireworks": "api.fireworks.ai",
    "openrouter": "openrouter.ai",
    "xai": "api.x.ai",
}
# Prefixes with a parameter segment: it becomes part of the host. Strictly validated, since a
# path must never be able to point the proxy at an arbitrary host.
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TEMPLATED: dict[str, str] = {
    "azure": "{}.openai.azure.com",
    "bedrock": "bedrock-runtime.{}.amazonaws.com",
}


def resolve_reverse(path: str) -> tuple[str, str] | None:
    """``/openai/v1/chat/completions`` → ``("api.openai.com", "/v1/chat/completions")``;
    None when the path names no known provider. The query string is kept."""
    bare, sep, query = path.partition("?")
    segments = bare.lstrip("/").split("/")
    head = segments[0].lower()
    if head in REVERSE_PREFIXES:
        host, rest = REVERSE_PREFIXES[head], segments[1:]
    elif head in _TEMPLATED and len(segments) >= 2 and _NAME.match(segments[1].lower()):
        host, rest = _TEMPLATED[head].format(segments[1].lower()), segments[2:]
    else:
        return None
    return host, "/" + "/".join(rest) + sep + query
