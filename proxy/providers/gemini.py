"""Gemini (Google AI and Vertex AI): generateContent and streamGenerateContent.

Streams come as SSE (``?alt=sse``) or, without it, as one JSON array delivered piecemeal; the
meter tells them apart by the first byte. ``candidatesTokenCount`` excludes
``thoughtsTokenCount``: our ``output`` is their sum. ``promptTokenCount`` already includes
``cachedContentTokenCount``. OpenAI-compatible paths (``/v1beta/openai/…``) use OpenAI parsing.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import unquote

from pricing import Usage
from proxy import tokenizer
from proxy.providers import fields as f
from proxy.providers import openai as oa
from proxy.providers import refusals
from proxy.providers.base import Endpoint, RequestFacts, ResponseFacts, StreamMeter
from proxy.providers.gemini_stream import GeminiStreamMeter

_MODEL_CALL = re.compile(r"/models/([^/:]+):([A-Za-z]+)$")
_METHODS = {
    "generateContent": "generate_content",
    "streamGenerateContent": "generate_content",
    "embedContent": "embeddings",
    "batchEmbedContents": "embeddings",
}


def gemini_usage(meta: Any) -> Usage | None:
    if not isinstance(meta, dict):
        return None
    thoughts = f.num(meta, "thoughtsTokenCount")
    return Usage(
        input=f.num(meta, "promptTokenCount") + f.num(meta, "toolUsePromptTokenCount"),
        output=f.num(meta, "candidatesTokenCount") + thoughts,
        cached_read=f.num(meta, "cachedContentTokenCount"),
        reasoning=thoughts,
    )


def chunk_facts(chunk: dict[str, Any], facts: ResponseFacts, texts: list[str]) -> None:
    """Fold one GenerateContentResponse (whole reply or stream chunk) into the facts."""
    if "error" in chunk:
        err = f.obj(chunk, "error")
        facts.error_type = f.text(err, "status") or "error"
        facts.error_message = f.text(err, "message")
        return
    facts.model_served = f.text(chunk, "modelVersion") or facts.model_served
    if isinstance(chunk.get("usageMetadata"), dict):
        facts.usage = gemini_usage(chunk["usageMetadata"])  # cumulative: the last one wins
    for candidate in f.items(chunk, "candidates"):
        facts.finish_reason = f.text(candidate, "finishReason") or facts.finish_reason
        for part in f.items(f.obj(candidate, "content"), "parts"):
            if f.text(part, "text"):
                texts.append(part["text"])
            call = f.obj(part, "functionCall")
            if call:
                facts.tool_names.append(f.text(call, "name") or "")
    feedback = f.obj(chunk, "promptFeedback")
    if f.text(feedback, "blockReason"):
        facts.finish_reason = f.text(feedback, "blockReason")


class GeminiAdapter(refusals.RefusesInShape):
    error_shape = refusals.GEMINI

    def __init__(self, name: str = "gemini") -> None:
        self.name = name
        self._openai = oa.OpenAIAdapter(name)

    def classify(self, method: str, host: str, path: str) -> Endpoint:
        bare = path.split("?", 1)[0]
        if "/openai/" in bare:
            return self._openai.classify(method, host, path)
        match = _MODEL_CALL.search(bare)
        if method.upper() != "POST" or not match or match.group(2) not in _METHODS:
            return Endpoint(
                provider=self.name,
                name="other",
                metered=False,
                model_from_path=match and unquote(match.group(1)),
            )
        return Endpoint(
            provider=self.name,
            name=_METHODS[match.group(2)],
            streaming_hint=match.group(2) == "streamGenerateContent",
            model_from_path=unquote(match.group(1)),
        )

    def parse_request(self, endpoint: Endpoint, body: bytes) -> RequestFacts:
        if endpoint.name in ("chat.completions", "responses") or not endpoint.metered:
            return self._openai.parse_request(endpoint, body)
        data, error = f.loads_object(body)
        if data is None:
            return RequestFacts(model=endpoint.model_from_path, parse_error=error)
        config = f.obj(data, "generationConfig")
        facts = RequestFacts(
            model=endpoint.model_from_path,
            stream=endpoint.streaming_hint,
            max_output_tokens=f.num(config, "maxOutputTokens") or None,
            n=max(1, f.num(config, "candidateCount")),
            tool_names=[
                f.text(decl, "name") or ""
                for tool in f.items(data, "tools")
                for decl in f.items(tool, "functionDeclarations")
            ],
        )
        facts.defer_estimate(
            partial(tokenizer.estimate_prompt_tokens, endpoint.name, data, endpoint.model_from_path)
        )
        return facts

    def parse_response(self, endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts:
        if endpoint.name in ("chat.completions", "responses"):
            return self._openai.parse_response(endpoint, status, body)
        facts = ResponseFacts()
        data, facts.parse_error = f.loads_object(body)
        if data is None:
            return facts
        texts: list[str] = []
        chunk_facts(data, facts, texts)
        if endpoint.name == "embeddings" and facts.usage is None and "usageMetadata" in data:
            facts.usage = Usage(input=f.num(data["usageMetadata"], "promptTokenCount"))
        facts.completion_text = "".join(texts)
        facts.output_text_chars = len(facts.completion_text)
        return facts

    def stream_meter(self, endpoint: Endpoint, request: RequestFacts) -> StreamMeter:
        if endpoint.name in ("chat.completions", "responses"):
            return self._openai.stream_meter(endpoint, request)
        return GeminiStreamMeter(chunk_facts)
