"""Who is calling: pure rules for proxy credentials, run ids and per-agent sessions.

The ``identify`` addon applies them to flows; nothing here knows about mitmproxy.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

from agentops.agent_env import RUN_MARK  # agent names never contain ";"
from agentops.ids import uuid7

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_ZERO_TRACE = "0" * 32
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Credentials:
    """``agent:key`` from ``Proxy-Authorization: Basic ...`` (``HTTPS_PROXY=http://agent:key@...``).

    The user name may also carry a run id, ``agent;run=R`` (what ``agentops run --run R`` puts
    in the proxy URL): a launcher can name the run without touching the agent's requests."""

    agent: str
    key: str
    run: str | None = None

    def __repr__(self) -> str:  # the key never reaches a log line, even by accident
        return f"Credentials(agent={self.agent!r}, run={self.run!r}, key=<redacted>)"


@dataclass(frozen=True, slots=True)
class Verified:
    """Credentials accepted: the org they belong to, and the agent a bound key is limited to."""

    org: str
    agent: str | None = None
    key_id: str | None = None  # the API key's public id, when a key was verified


@dataclass(frozen=True, slots=True)
class Refused:
    """Credentials refused, with the message the caller sees (407: present other credentials;
    503 with ``Retry-After``: they cannot be judged yet, try again)."""

    message: str
    status: int = 407
    retry_after_seconds: int | None = None


class KeyVerifier(Protocol):
    """Decides whether proxy credentials are valid.

    Called on the hot path: implementations answer from memory (``proxy.control.key_verifier``
    verifies API keys against the key directory synced into the proxy)."""

    def verify(self, credentials: Credentials) -> Verified | Refused: ...


class UnverifiedKeys:
    """Accepts any key and places every caller in one org (sidecar and embedded mode without
    control state)."""

    def __init__(self, org: str) -> None:
        self._org = org

    def verify(self, credentials: Credentials) -> Verified | Refused:
        return Verified(self._org)


def parse_proxy_authorization(value: str | None) -> Credentials | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, key = decoded.partition(":")
    agent, _, run = user.partition(RUN_MARK)
    agent = agent.strip()
    if not sep or not agent or len(agent) > _MAX_NAME:
        return None
    return Credentials(agent, key, clean_name(run))


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header, or None when absent or malformed."""
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if match is None or match.group(1) == _ZERO_TRACE:
        return None
    return match.group(1)


def clean_name(value: str | None) -> str | None:
    """A header value usable as an agent or run name, or None."""
    if value is None:
        return None
    value = value.strip()
    return value[:_MAX_NAME] if value else None


class Sessions:
    """A run per (org, agent) that stays open while calls keep coming, closed by an idle gap."""

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle = idle_seconds
        self._clock = clock
        self._open: dict[tuple[str, str], tuple[str, float]] = {}

    def run_for(self, org: str, agent: str) -> str:
        now = self._clock()
        key = (org, agent)
        current = self._open.get(key)
        if current is not None and now - current[1] <= self._idle:
            run_id = current[0]
        else:
            run_id = f"session-{uuid7()}"
            self._prune(now)
        self._open[key] = (run_id, now)
        return run_id

    def _prune(self, now: float) -> None:
        # Bounded memory: sessions idle past the gap are over anyway.
        expired = [k for k, (_, seen) in self._open.items() if now - seen > self._idle]
        for key in expired:
            del self._open[key]


MAX_TAGS = 20
MAX_TAG_CHARS = 200


def parse_tags(header: str | None) -> dict[str, str]:
    """``X-AgentOps-Tags: team=payments, ticket=PAY-42`` (values percent-encoded when they hold
    ``,`` or ``=``) -> a dict; at most 20 tags of 200 characters, malformed pairs skipped."""
    tags: dict[str, str] = {}
    if not header:
        return tags
    for pair in header.split(","):
        key, sep, value = pair.partition("=")
        key, value = unquote(key.strip()), unquote(value.strip())
        if not sep or not key or len(key) > MAX_TAG_CHARS or len(value) > MAX_TAG_CHARS:
            continue
        if len(tags) >= MAX_TAGS:
            break
        tags[key] = value
    return tags
