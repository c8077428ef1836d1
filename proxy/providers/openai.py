"""OpenAI and every OpenAI-compatible host (Mistral, Groq, DeepSeek, Together, Fireworks,
OpenRouter, xAI, vLLM, Ollama…): one wire format, reported under the host's provider name."""

from __future__ import annotations

from typing import Any

from proxy.providers import fields as f
from proxy.providers import openai_wire as wire
from proxy.providers import refusals
from proxy.providers.base import Endpoint, RequestFacts, ResponseFacts, StreamMeter, json_request
from proxy.providers.openai_stream import ChatStreamMeter, ResponsesStreamMeter

# Path suffixes → endpoint names. Suffixes, because the prefix varies by host: /v1 (OpenAI),
# /openai/v1 (Groq), /api/v1 (OpenRouter), /inference/v1 (Fireworks), /v1beta/openai (Gemini).
_METERED_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("/chat/completions", "chat.completions"),
    ("/responses", "responses"),
    ("/embeddings", "embeddings"),
    ("/completions", "completions"),
)


def classify_openai_path(provider: str, method: str, path: str) -> Endpoint:
    bare = path.split("?", 1)[0].rstrip("/")
    if method.upper() == "POST":
        for suffix, name in _METERED_SUFFIXES:
            if bare.endswith(suffix):
                return Endpoint(provider=provider, name=name)
    return Endpoint(provider=provider, name="other", metered=False)


def parse_openai_request(endpoint: Endpoint, body: bytes) -> RequestFacts:
    if not endpoint.metered:
        return RequestFacts(model=endpoint.model_from_path)
    return json_request(endpoint, body, _request_facts)


def _request_facts(endpoint: Endpoint, data: dict[str, Any], model: str | None) -> RequestFacts:
    return RequestFacts(
        model=model,
        stream=data.get("stream") is True,
        include_usage=f.obj(data, "stream_options").get("include_usage") is True,
        max_output_tokens=_max_tokens(data),
        n=max(1, f.num(data, "n")),
        tool_names=_tool_names(data.get("tools")),
        service_tier=f.text(data, "service_tier"),
    )


def _max_tokens(data: dict[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_output_tokens", "max_tokens"):
        value = f.num(data, key)
        if value:
            return value
    return None


def _tool_names(tools: Any) -> list[str]:
    names: list[str] = []
    for tool in tools if isinstance(tools, list) else []:
        # Chat nests the name in "function"; Responses puts it on the tool or only has a type.
        name = (
            f.text(f.obj(tool, "function"), "name") or f.text(tool, "name") or f.text(tool, "type")
        )
        if name:
            names.append(name)
    return names


def parse_openai_response(endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts:
    facts = ResponseFacts()
    data, facts.parse_error = f.loads_object(body)
    if data is None:
        return facts
    if status >= 400 or ("error" in data and endpoint.name != "responses"):
        wire.error_facts(data, facts)
        return facts
    if endpoint.name in ("chat.completions", "completions"):
        wire.parse_chat(data, facts)
    elif endpoint.name == "responses":
        wire.parse_responses(data, facts)
    elif endpoint.name == "embeddings":
        wire.parse_embeddings(data, facts)
    return facts


def openai_stream_meter(endpoint: Endpoint) -> StreamMeter:
    return ResponsesStreamMeter() if endpoint.name == "responses" else ChatStreamMeter()


class OpenAIAdapter(refusals.RefusesInShape):
    """The OpenAI wire format under a provider name (``openai``, ``groq``, ``vllm``…)."""

    error_shape = refusals.OPENAI

    def __init__(self, name: str = "openai") -> None:
        self.name = name

    def classify(self, method: str, host: str, path: str) -> Endpoint:
        return classify_openai_path(self.name, method, path)

    def parse_request(self, endpoint: Endpoint, body: bytes) -> RequestFacts:
        return parse_openai_request(endpoint, body)

    def parse_response(self, endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts:
        return parse_openai_response(endpoint, status, body)

    def stream_meter(self, endpoint: Endpoint, request: RequestFacts) -> StreamMeter:
        return openai_stream_meter(endpoint)
