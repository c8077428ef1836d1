"""Put the tagging headers on outgoing requests: httpx event hooks (the OpenAI and Anthropic
Python SDKs are built on httpx) and a ``requests`` auth hook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from agentops.sdk._context import current_headers


def _apply(request: Any) -> None:
    for name, value in current_headers().items():
        request.headers[name] = value


def httpx_hooks() -> dict[str, list[Callable[[Any], None]]]:
    """``httpx.Client(event_hooks=httpx_hooks())``."""
    return {"request": [_apply]}


def async_httpx_hooks() -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """``httpx.AsyncClient(event_hooks=async_httpx_hooks())``."""

    async def apply(request: Any) -> None:
        _apply(request)

    return {"request": [apply]}


class RequestsTagger:
    """``session.auth = RequestsTagger()`` (or wrap an existing auth: ``RequestsTagger(auth)``)."""

    def __init__(self, inner: Callable[[Any], Any] | None = None) -> None:
        self._inner = inner

    def __call__(self, request: Any) -> Any:
        request = self._inner(request) if self._inner is not None else request
        _apply(request)
        return request
