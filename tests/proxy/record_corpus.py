"""A corpus of calls covering every variant of the record the proxy spools, run through the real
``Record`` addon: priced, unpriced (never $0), estimated and every token class, streamed (in
progress, complete, cancelled, killed, cut by a budget), refused by the gate or a policy,
upstream errors and failures, many-digit costs, Azure deployments, tags, run and agent ids,
content capture, odd text and timestamps.

``documents()`` returns every spooled document by case name (``<case>`` for the final record,
``<case>.in_progress`` for a stream's first one). ``record_documents.jsonl`` beside this file
holds what the pydantic path (``CallRecord.model_dump_json``) wrote for them before the record
was serialised directly; regenerate it only for an intended change of the record:
``.venv/bin/python -m tests.proxy.record_corpus > tests/proxy/record_documents.jsonl``.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mitmproxy import http
from mitmproxy.test import taddons

from agentops.wire.record import CallRecord, CallStatus, PolicyOutcome
from pricing import Usage
from proxy.providers.base import ResponseFacts
from proxy.recorder import Record
from proxy.state import CallState, Identity
from proxy.tokenizer import count_text
from tests.factories import front, llm_flow

GOLDEN = Path(__file__).with_name("record_documents.jsonl")
T = 1_764_000_000.25  # the corpus's clock: fixed, so the documents are too


class Observer:
    """The OpenTelemetry export's seat: the typed record of every finished call."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def record(self, record: CallRecord, headers: Mapping[str, str]) -> None:
        self.records.append(record)


class Writer:
    def __init__(self) -> None:
        self.documents: list[bytes] = []

    def append_json(self, document: bytes) -> int | None:
        self.documents.append(document)
        return len(self.documents)

    async def until_durable(self, seq: int) -> None:
        return None


@dataclass
class Case:
    name: str
    host: str = "api.openai.com"
    path: str = "/v1/chat/completions"
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    setup: Callable[[http.HTTPFlow, CallState], None] = lambda flow, state: None
    stream: list[bytes] | None = None  # SSE body lines: a streamed call
    capture: bool = False
    azure: dict[str, str] = field(default_factory=dict)
    proxy_id: str | None = "proxy-1"
    error: str | None = None  # ended by mitmproxy's error hook with this message
    method: str = "POST"


def chat(model: str = "gpt-4o-mini", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hello there"}], **extra}


def sse(*events: dict[str, Any], done: bool = True) -> list[bytes]:
    lines = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    return [*lines, b"data: [DONE]\n\n"] if done else lines


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "c", "model": "gpt-4o-mini-2024-07-18", "choices": choices, **extra}


def usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    return {"id": "c", "model": "gpt-4o-mini-2024-07-18", "choices": [], "usage": usage}


def answered(
    usage: Usage | None,
    *,
    status: CallStatus = CallStatus.OK,
    http_status: int = 200,
    **facts: Any,
) -> Callable[[http.HTTPFlow, CallState], None]:
    def setup(flow: http.HTTPFlow, state: CallState) -> None:
        state.response = ResponseFacts(usage=usage, **facts)
        state.status, state.http_status = status, http_status
        flow.response = http.Response.make(http_status, b"{}")

    return setup


def refused(reason: str, http_status: int = 403) -> Callable[[http.HTTPFlow, CallState], None]:
    def setup(flow: http.HTTPFlow, state: CallState) -> None:
        state.status, state.http_status, state.refusal_reason = (
            CallStatus.REFUSED,
            http_status,
            reason,
        )
        state.error_message = f"refused: {reason}"
        flow.response = http.Response.make(http_status, b"{}")

    return setup


def with_policies(then: Callable[[http.HTTPFlow, CallState], None]) -> Any:
    def setup(flow: http.HTTPFlow, state: CallState) -> None:
        route = PolicyOutcome(policy_id="p-route", name="cheaper", action="route")
        route.routed_from, route.routed_to = "gpt-4o", "gpt-4o-mini"
        redact = PolicyOutcome(policy_id="p-red", name="pii", action="redact")
        redact.masked = {"email": 2, "phone": 1}
        shadow = PolicyOutcome(
            policy_id="p-deny", name="no \u00e9 night", action="deny", mode="shadow",
            applied=False, reason="would deny: outside \"office\" hours\n",
        )  # fmt: skip
        state.policies = [route, redact, shadow]
        state.routed_to = "gpt-4o-mini"
        then(flow, state)

    return setup


def estimated_then(then: Callable[[http.HTTPFlow, CallState], None]) -> Any:
    def setup(flow: http.HTTPFlow, state: CallState) -> None:
        state.request.estimated_input_tokens  # noqa: B018 (a hard budget computed it)
        then(flow, state)

    return setup


def many(**counts: int) -> Usage:
    return Usage(**counts)


CASES: list[Case] = [
    Case(
        "json-priced-cached",
        body=chat(),
        headers={
            "X-AgentOps-Agent": "bot",
            "X-AgentOps-Run": "run-7",
            "X-AgentOps-Tags": "team=search,env=prod",
        },
        setup=answered(
            many(input=612, output=9, cached_read=128),
            model_served="gpt-4o-mini-2024-07-18",
            finish_reason="stop",
        ),
    ),
    Case(
        "json-every-class",
        body=chat("claude-sonnet-4-5", tools=[{"type": "function", "function": {"name": "b"}}]),
        host="api.anthropic.com",
        path="/v1/messages",
        setup=answered(
            many(
                input=9000,
                output=700,
                cached_read=3000,
                cache_write_5m=1000,
                cache_write_1h=500,
                reasoning=300,
                audio_input=7,
                audio_output=5,
            ),
            model_served="claude-sonnet-4-5-20250929",
            finish_reason="tool_use",
            tool_names=["a", "z"],
        ),
    ),
    Case(
        "json-reasoning-audio",
        body=chat("gpt-4o-audio-preview"),
        setup=answered(many(input=100, output=50, reasoning=20, audio_input=30, audio_output=10)),
    ),
    Case(
        "json-many-digits",
        body=chat("gpt-4o"),
        setup=answered(many(input=123_456_789, output=98_765_431, cached_read=1_234_567)),
    ),
    Case(
        "json-unpriced-model",
        body=chat("my-private-model-v3"),
        setup=answered(many(input=10, output=3), model_served="my-private-model-v3"),
    ),
    Case("json-no-usage-estimated", body=chat(), setup=answered(None, finish_reason="stop")),
    Case(
        "json-usage-estimated",
        body=chat(),
        setup=answered(many(input=40, output=12), usage_estimated=True),
    ),
    Case(
        "json-service-tier-budget-estimate",
        body=chat(service_tier="flex"),
        setup=estimated_then(answered(many(input=8, output=1), service_tier="flex")),
    ),
    Case(
        "json-upstream-error",
        body=chat(),
        setup=answered(
            None,
            status=CallStatus.ERROR,
            http_status=429,
            error_type="rate_limit_exceeded",
            error_message="Rate limit reached for gpt-4o-mini \u2014 retry in 20ms \u2028 \U0001f600",
        ),
    ),
    Case(
        "json-error-no-body",
        body=chat(),
        setup=answered(None, status=CallStatus.ERROR, http_status=503),
    ),
    Case(
        "json-garbage",
        body=chat(),
        setup=answered(None, status=CallStatus.UPSTREAM_FAILED, parse_error="invalid_json"),
    ),
    Case("upstream-failed", body=chat(), error="Connection refused \x01\x1f"),
    Case("refused-by-gate", body=chat(), setup=refused("agent_killed")),
    Case("refused-by-policy", body=chat(), setup=with_policies(refused("policy_denied", 451))),
    Case(
        "policy-routed",
        body=chat("gpt-4o"),
        setup=with_policies(answered(many(input=5, output=5), model_served="gpt-4o-mini")),
    ),
    Case("not-metered", body=None, path="/v1/models", method="GET", setup=answered(None)),
    Case(
        "azure-deployment",
        host="acme.openai.azure.com",
        path="/openai/deployments/prod-chat/chat/completions",
        body={"messages": [{"role": "user", "content": "hi"}]},
        azure={"prod-chat": "gpt-4o"},
        setup=answered(many(input=20, output=4), model_served="gpt-4o-2024-08-06"),
    ),
    Case(
        "request-parse-error",
        body="not json {",
        setup=answered(None, status=CallStatus.UPSTREAM_FAILED, http_status=400),
    ),
    Case(
        "capture",
        body=chat(),
        capture=True,
        setup=answered(many(input=3, output=2), completion_text="a secret sk-abc123 reply"),
    ),
    Case("no-proxy-id", body=chat(), proxy_id=None, setup=answered(many(input=1, output=1))),
    Case(
        "stream-complete",
        body=chat(stream=True, stream_options={"include_usage": True}),
        stream=sse(chunk("Hel"), chunk("lo"), chunk(finish="stop"), usage_chunk(30, 2)),
    ),
    Case(
        "stream-no-usage",
        body=chat(stream=True),
        stream=sse(chunk("Counted "), chunk("by us."), chunk(finish="stop")),
    ),
    Case(
        "stream-cancelled",
        body=chat(stream=True, stream_options={"include_usage": True}),
        stream=sse(chunk("Half an"), done=False),
        error="client disconnected",
    ),
    Case(
        "stream-killed",
        body=chat(stream=True),
        stream=sse(chunk("cut"), done=False),
        setup=lambda flow, state: setattr(state, "status", CallStatus.KILLED),
    ),
    Case(
        "stream-budget-cut",
        body=chat(stream=True),
        stream=sse(chunk("over budget"), done=False),
        setup=refused("budget_exceeded", 200),
        capture=True,
    ),
]


def _ids(state: CallState, index: int, case: Case) -> None:
    state.call_id = uuid.UUID(int=(0x01A2 << 112) | (0x7 << 76) | (0b10 << 62) | index)
    microseconds = 0 if index % 3 == 0 else 123456
    state.started_at = datetime.fromtimestamp(T, UTC).replace(microsecond=microseconds)
    state.t_start = T + index / 1000
    state.t_sent = state.t_start + 0.0123
    assert state.identity is not None
    identity = state.identity
    tags = identity.tags if identity.tags else {"k": 'v"\\', "\u00fc": "\x01"}
    state.identity = Identity(
        org="org \u00e9", agent=identity.agent, run_id=f"run-{index}", run_source="header",
        key_id="ak_1234" if index % 2 else None, tags=tags,
    )  # fmt: skip


def run_case(case: Case, index: int, observer: Observer) -> list[tuple[str, bytes]]:
    flow = llm_flow(host=case.host, body=case.body, path=case.path, **case.headers)
    flow.request.method = case.method
    if isinstance(case.body, str):
        flow.request.content = case.body.encode()
    state = front(flow)
    assert state is not None, case.name
    _ids(state, index, case)
    writer = Writer()
    record = Record(
        writer,
        count_text=count_text,
        azure_deployments=case.azure,
        proxy_id=case.proxy_id,
        capture_content=case.capture,
        clock=lambda: T + index / 1000 + 0.5,
        observer=observer,
    )
    out: list[tuple[str, bytes]] = []
    if case.stream is not None:
        assert state.adapter is not None
        assert state.endpoint is not None
        flow.response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
        state.http_status = 200
        state.meter = state.adapter.stream_meter(state.endpoint, state.request)
        record._open_stream(flow, state)
        out.append((f"{case.name}.in_progress", writer.documents[-1]))
        for line in case.stream:
            state.meter.feed(line)
            state.response_bytes += len(line)
        state.t_first_token = T + index / 1000 + 0.2
        case.setup(flow, state)
        if case.error is None and state.status is None:
            state.response, state.status = state.meter.finish(), CallStatus.OK
        elif state.response is None:
            state.response = state.meter.finish()
    else:
        case.setup(flow, state)
    state.t_done = T + index / 1000 + 0.5
    if flow.response is not None:
        flow.response.timestamp_end = T + index / 1000 + 0.45
    flow.request.timestamp_end = T + index / 1000 + 0.001
    if case.error is not None:
        if case.stream is None:
            state.status = CallStatus.UPSTREAM_FAILED
        elif state.status is None:
            state.status = CallStatus.CANCELLED
        state.error_message = case.error
        record._finish(flow)
    else:
        assert record.response(flow) is None  # not durable_before_response: nothing to wait
    out.append((case.name, writer.documents[-1]))
    return out


def documents(observer: Observer | None = None) -> dict[str, bytes]:
    """Every case's documents, by name (run inside mitmproxy's test context); ``observer``
    gets every final record as the wire model, in the cases' order."""
    result: dict[str, bytes] = {}
    for index, case in enumerate(CASES):
        result.update(run_case(case, index, observer or Observer()))
    return result


def golden() -> dict[str, bytes]:
    lines = GOLDEN.read_bytes().splitlines()
    return {json.loads(line)["case"]: json.loads(line)["document"].encode() for line in lines}


if __name__ == "__main__":
    with taddons.context():  # type: ignore[no-untyped-call]
        for name, document in documents().items():
            line = json.dumps({"case": name, "document": document.decode()}, ensure_ascii=False)
            sys.stdout.write(line + "\n")
