"""The tagging context: which run, agent and tags the calls made inside it belong to."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

AGENT_HEADER = "X-AgentOps-Agent"
RUN_HEADER = "X-AgentOps-Run-Id"
TAGS_HEADER = "X-AgentOps-Tags"


@dataclass(frozen=True)
class Tagging:
    run_id: str | None = None
    agent: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


_CURRENT: contextvars.ContextVar[Tagging] = contextvars.ContextVar(
    "agentops_tagging",
    default=Tagging(),  # noqa: B039 (immutable default)
)


@contextmanager
def tag(
    run_id: str | None = None, agent: str | None = None, tags: Mapping[str, str] | None = None
) -> Iterator[Tagging]:
    """Tag every call made inside the block (also usable as ``@tag(...)`` on a function).
    Nested blocks inherit what they do not set; tags are merged."""
    outer = _CURRENT.get()
    inner = Tagging(
        run_id=run_id or outer.run_id,
        agent=agent or outer.agent,
        tags={**outer.tags, **(tags or {})},
    )
    token = _CURRENT.set(inner)
    try:
        yield inner
    finally:
        _CURRENT.reset(token)


def current_headers() -> dict[str, str]:
    """The X-AgentOps-* headers for the current context (empty outside any ``tag``)."""
    now = _CURRENT.get()
    headers: dict[str, str] = {}
    if now.agent:
        headers[AGENT_HEADER] = now.agent
    if now.run_id:
        headers[RUN_HEADER] = now.run_id
    if now.tags:
        headers[TAGS_HEADER] = ",".join(
            f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in now.tags.items()
        )
    return headers
