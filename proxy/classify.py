"""Addon: what a call is, from the provider adapter; runs before the gate, which needs it.

``requestheaders`` picks the adapter by provider host and classifies the endpoint from method,
host and path; ``request`` parses the body (model, stream flag, estimates). A request body
larger than ``max_request_body_bytes`` is streamed upstream by mitmproxy and left unparsed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from mitmproxy import http

from proxy.providers.base import ProviderAdapter, RequestFacts
from proxy.state import call_state

log = logging.getLogger(__name__)

AdapterLookup = Callable[[str], ProviderAdapter | None]


_CONTENT_ENCODING = b"content-encoding"


def _decoded(request: http.Request, raw: bytes) -> bytes:
    """``request.get_content(strict=False) or b""``, for the raw body ``raw``: decoded when a
    Content-Encoding header says how. Most requests have none, which one pass over the raw
    header fields tells for less than ``Headers.get`` does."""
    for name, _ in request.headers.fields:
        if len(name) == len(_CONTENT_ENCODING) and name.lower() == _CONTENT_ENCODING:
            return request.get_content(strict=False) or b""
    return raw


class Classify:
    def __init__(self, adapter_for_host: AdapterLookup) -> None:
        self._adapter_for_host = adapter_for_host

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is None or flow.response is not None:
            return
        lookup = state.host if state.port in (80, 443) else f"{state.host}:{state.port}"
        state.adapter = self._adapter_for_host(lookup)
        if state.adapter is not None:
            state.endpoint = state.adapter.classify(state.method, state.host, state.path)

    def request(self, flow: http.HTTPFlow) -> None:
        state = call_state(flow)
        if state is None or state.adapter is None or state.endpoint is None:
            return
        if flow.request.stream:
            state.request = RequestFacts(parse_error="request_body_streamed")
            return
        body = flow.request.raw_content or b""
        state.request_bytes = len(body)
        if not state.endpoint.metered or flow.response is not None:
            return
        try:
            content = _decoded(flow.request, body)
            state.request = state.adapter.parse_request(state.endpoint, content)
        except Exception as exc:
            # An adapter bug must never break the agent's call: forward it, record why.
            log.exception("request parse failed", extra={"call_id": str(state.call_id)})
            state.request = RequestFacts(parse_error=f"adapter_error: {type(exc).__name__}")
        if state.request.stream or state.endpoint.streaming_hint:
            # Streams are metered chunk by chunk; a compressed stream could not be read as it
            # passes, so ask upstream for identity encoding.
            flow.request.headers["accept-encoding"] = "identity"
