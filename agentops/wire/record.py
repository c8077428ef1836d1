"""The call record: one LLM call as the proxy saw it, the fact behind every cost figure.

The proxy writes it to its spool, the shipper sends it in batches to ``/api/v1/ingest/batch``,
and the control plane validates it with this very model. Money is ``Decimal`` and travels as a
JSON string so no binary float ever touches it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from pricing import TOKEN_CLASSES, Usage

RECORD_SCHEMA_VERSION = 1

# Decimal serialised as a string in JSON: exact across the wire.
Money = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]
# A number of tokens.
Count = Annotated[int, Field(ge=0)]


def unvalidated[M: BaseModel](cls: type[M], **values: Any) -> M:
    """An instance of ``cls`` from values its builder already typed and bounded, without
    pydantic's validation (what ``model_construct`` does, without its per-field walk, which
    costs more than the validation it skips: ~20 us against ~8 us for a call record, this ~1 us).
    For the proxy's own records only; the control plane validates every record it ingests."""
    for name, default, factory in _defaults(cls):
        if name not in values:
            values[name] = factory() if factory is not None else default
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set())
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


@cache
def _defaults(cls: type[BaseModel]) -> tuple[tuple[str, Any, Any], ...]:
    return tuple(
        (name, field.default, field.default_factory) for name, field in cls.model_fields.items()
    )


class CallStatus(StrEnum):
    IN_PROGRESS = "in_progress"  # streamed call started, not finished (crash leaves it visible)
    OK = "ok"
    ERROR = "error"  # the provider answered with an error status
    CANCELLED = "cancelled"  # the client went away mid-stream
    KILLED = "killed"  # the kill-switch cut the stream
    REFUSED = "refused"  # our gate refused it (kill, pause, policy, rate limit, budget)
    UPSTREAM_FAILED = "upstream_failed"  # no usable answer from upstream (connect error, garbage)
    # Cut by a proxy crash (finalised from its spool at restart) or left open past the control
    # plane's timeout: tokens and cost as far as known, the estimate when nothing else.
    INTERRUPTED = "interrupted"


class TokenCounts(BaseModel):
    """Token classes, normalised across providers: a field per ``pricing.TOKEN_CLASSES``.

    ``input`` is the whole prompt, cached and cache-write tokens included; ``output`` is the
    whole completion, reasoning tokens included. The finer classes are subsets of those two.
    """

    model_config = ConfigDict(extra="forbid")

    input: Count = 0
    output: Count = 0
    cached_read: Count = 0
    cache_write_5m: Count = 0
    cache_write_1h: Count = 0
    reasoning: Count = 0
    audio_input: Count = 0
    audio_output: Count = 0
    # "reported": from the provider's own usage; "estimated": counted by us (tiktoken or the
    # documented approximation for other tokenizers); "none": nothing known.
    source: str = Field("reported", pattern="^(reported|estimated|none)$")

    @property
    def total(self) -> int:
        return self.input + self.output

    def usage(self) -> Usage:
        """The token classes as the pricing package takes them."""
        return Usage(**{name: getattr(self, name) for name in TOKEN_CLASSES})


class CostInfo(BaseModel):
    """Cost of the call, or why it is not known. Never silently zero."""

    model_config = ConfigDict(extra="forbid")

    total_usd: Money | None = None
    breakdown: dict[str, Money] = Field(default_factory=dict)
    price_version: str | None = None
    priced_model: str | None = None
    unpriced_reason: str | None = None  # e.g. "unpriced_model", "no_usage"


class PolicyOutcome(BaseModel):
    """A policy that matched the call: what it did (``applied``) or, in shadow mode (or when
    an enforced decision came first), what it would have done."""

    model_config = ConfigDict(extra="forbid")

    policy_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    action: str = Field(max_length=20)  # allow, deny, require_approval, redact, alert, route
    mode: str = Field("enforce", pattern="^(enforce|shadow)$")
    applied: bool = True
    reason: str = Field("", max_length=2000)
    routed_from: str | None = None
    routed_to: str | None = None
    masked: dict[str, int] = Field(default_factory=dict)  # detector -> findings masked


class CallRecord(BaseModel):
    """One LLM call. ``call_id`` is the idempotency key of ingestion."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = RECORD_SCHEMA_VERSION
    call_id: uuid.UUID
    org: str = Field(min_length=1, max_length=200)
    agent: str = Field(min_length=1, max_length=200)
    run_id: str = Field(min_length=1, max_length=200)
    run_source: str = Field("session", pattern="^(header|credentials|traceparent|session|sdk)$")
    proxy_id: str | None = None
    # Public id of the API key the proxy verified for this call (none: no key was presented).
    # A proxy shipping for several orgs is trusted for a record's org only through this key.
    api_key_id: str | None = Field(None, max_length=32)

    provider: str
    endpoint: str  # e.g. "chat.completions", "responses", "embeddings", "messages", "other"
    method: str = "POST"
    host: str = ""
    path: str = ""
    metered: bool = True  # False for models list, files, batches... (passed through, recorded)
    model_requested: str | None = None
    model_served: str | None = None
    streamed: bool = False
    service_tier: str | None = None

    status: CallStatus
    http_status: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    parse_error: str | None = None

    tokens: TokenCounts = Field(default_factory=TokenCounts)
    # Our own count of the prompt (tiktoken or the documented approximation), present when it
    # was needed: a hard budget checked the call, or the provider reported no usage.
    estimated_input_tokens: int | None = None
    cost: CostInfo = Field(default_factory=CostInfo)

    started_at: datetime
    ended_at: datetime | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    upstream_ms: float | None = None
    overhead_ms: float | None = None
    request_bytes: int = 0
    response_bytes: int = 0
    tool_names: list[str] = Field(default_factory=list)
    finish_reason: str | None = None
    refusal_reason: str | None = None
    # Left out when empty, so a call no policy matched is the record it always was (and a
    # control plane older than policies still accepts it).
    policies: list[PolicyOutcome] = Field(default_factory=list, exclude_if=lambda v: not v)
    tags: dict[str, str] = Field(default_factory=dict)
    # Only present when capture_content is on (redacted); never provider credentials.
    prompt: str | None = None
    completion: str | None = None
