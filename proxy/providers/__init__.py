"""Provider adapters: each wire format in, normalised facts out (see ``base``).

``ProviderRegistry`` picks the adapter for a host; ``resolve_reverse`` maps reverse-proxy paths
to upstream hosts. Everything here is pure: no sockets, no mitmproxy.
"""

from proxy.providers.anthropic import AnthropicAdapter
from proxy.providers.azure import AzureOpenAIAdapter
from proxy.providers.base import (
    Endpoint,
    ProviderAdapter,
    Refusal,
    RequestFacts,
    ResponseFacts,
    StreamMeter,
)
from proxy.providers.bedrock import BedrockAdapter
from proxy.providers.gemini import GeminiAdapter
from proxy.providers.openai import OpenAIAdapter
from proxy.providers.registry import ProviderRegistry, resolve_reverse

__all__ = [
    "AnthropicAdapter",
    "AzureOpenAIAdapter",
    "BedrockAdapter",
    "Endpoint",
    "GeminiAdapter",
    "OpenAIAdapter",
    "ProviderAdapter",
    "ProviderRegistry",
    "Refusal",
    "RequestFacts",
    "ResponseFacts",
    "StreamMeter",
    "resolve_reverse",
]
