"""The provider adapter contract: a wire format in, our normalised facts out.

Adapters are pure (bytes and headers in, dataclasses out) so they are tested without sockets.
The addons in ``proxy/`` call them; nothing here knows about mitmproxy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from pricing import Usage  # the token classes, as normalised by every adapter
from proxy import tokenizer
from proxy.providers import fields

Estimator = Callable[[], tuple[int, bool]]


@dataclass(slots=True)
class Endpoint:
    """What a request is, decided from method, host and path alone (before the body)."""

    provider: str  # openai, anthropic, gemini, azure, bedrock, mistral, groq, ... openai_compatible
    name: (
        str  # chat.completions, responses, embeddings, messages, generate_content, converse, other
    )
    metered: bool = True
    streaming_hint: bool = False  # path says stream (Gemini streamGenerateContent, ConverseStream)
    model_from_path: str | None = (
        None  # Gemini /models/{m}:..., Bedrock /model/{id}/..., Azure deployment
    )


@dataclass(slots=True)
class RequestFacts:
    model: str | None = None
    stream: bool = False
    include_usage: bool = False  # OpenAI stream_options.include_usage
    max_output_tokens: int | None = None
    n: int = 1
    tool_names: list[str] = field(default_factory=list)
    service_tier: str | None = None
    prompt_text: str | None = None  # only filled when content capture is on
    parse_error: str | None = None
    # The pre-call prompt estimate is deferred: tokenizing costs time in proportion to the
    # prompt (milliseconds for a long context) and is needed only when a hard budget covers the
    # call or the provider reports no usage. Adapters hand over how to compute it.
    _estimator: Estimator | None = field(default=None, repr=False, compare=False)
    _estimate: tuple[int, bool] | None = None

    def defer_estimate(self, estimator: Estimator) -> None:
        self._estimator, self._estimate = estimator, None

    @property
    def estimated_input_tokens(self) -> int | None:
        """Prompt tokens counted by us (tiktoken, or the documented approximation)."""
        estimate = self._computed_estimate()
        return None if estimate is None else estimate[0]

    @property
    def estimate_exact(self) -> bool:
        """True only for tiktoken with the model's own encoding and nothing approximated."""
        estimate = self._computed_estimate()
        return estimate is not None and estimate[1]

    @property
    def known_estimate(self) -> int | None:
        """The estimate if something already needed it; never computes it."""
        return None if self._estimate is None else self._estimate[0]

    def _computed_estimate(self) -> tuple[int, bool] | None:
        if self._estimate is None and self._estimator is not None:
            self._estimate, self._estimator = self._estimator(), None
        return self._estimate


def json_request(
    endpoint: Endpoint,
    body: bytes,
    facts_of: Callable[[Endpoint, dict[str, Any], str | None], RequestFacts],
) -> RequestFacts:
    """The facts of a JSON request body that names its model (OpenAI's and Anthropic's wire
    formats): ``facts_of(endpoint, body, model)`` reads the rest; the prompt estimate is
    deferred. A body that is not a JSON object gives the path's model and the parse error."""
    data, error = fields.loads_object(body)
    if data is None:
        return RequestFacts(model=endpoint.model_from_path, parse_error=error)
    model = fields.text(data, "model") or endpoint.model_from_path
    facts = facts_of(endpoint, data, model)
    facts.defer_estimate(partial(tokenizer.estimate_prompt_tokens, endpoint.name, data, model))
    return facts


@dataclass(slots=True)
class ResponseFacts:
    model_served: str | None = None
    usage: Usage | None = None  # None: the provider reported none
    usage_estimated: bool = False
    finish_reason: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    tool_names: list[str] = field(default_factory=list)
    service_tier: str | None = None
    output_text_chars: int = 0
    completion_text: str | None = None
    parse_error: str | None = None
    # A stream's terminal event arrived ([DONE], message_stop, response.completed, Gemini's
    # finishReason, Bedrock's metadata): the answer is whole even if the body's end is not seen.
    stream_completed: bool = False


@dataclass(slots=True)
class Refusal:
    status: int
    headers: dict[str, str]
    body: bytes


class StreamMeter(Protocol):
    """Fed each response chunk as it passes (bytes split anywhere); never holds chunks back."""

    def feed(self, chunk: bytes) -> None: ...

    def first_token_seen(self) -> bool: ...

    def output_text(self) -> str:
        """Text streamed so far (for counting tokens when the stream carries no usage)."""
        ...

    def output_chars(self) -> int:
        """``len(output_text())`` without building it: a hard budget asks after every chunk,
        and joining the whole text each time would be quadratic in a long stream."""
        ...

    def finish(self) -> ResponseFacts: ...


class RunningLength:
    """The total length of a growing list of text pieces, counting only the new pieces on
    each call."""

    __slots__ = ("_chars", "_pieces", "_seen")

    def __init__(self, pieces: list[str]) -> None:
        self._pieces = pieces
        self._seen = 0
        self._chars = 0

    def __call__(self) -> int:
        pieces = self._pieces
        for index in range(self._seen, len(pieces)):
            self._chars += len(pieces[index])
        self._seen = len(pieces)
        return self._chars


class ProviderAdapter(Protocol):
    name: str

    def classify(self, method: str, host: str, path: str) -> Endpoint: ...

    def parse_request(self, endpoint: Endpoint, body: bytes) -> RequestFacts: ...

    def parse_response(self, endpoint: Endpoint, status: int, body: bytes) -> ResponseFacts: ...

    def stream_meter(self, endpoint: Endpoint, request: RequestFacts) -> StreamMeter: ...

    def refusal(
        self, status: int, message: str, code: str, reference: str, *, streaming: bool
    ) -> Refusal:
        """A refusal in this provider's own error JSON shape, with x-should-retry: false
        (and Retry-After for 429)."""
        ...

    def stream_error_event(self, message: str, code: str) -> bytes:
        """An error event in this provider's streaming format, to end a stream we cut."""
        ...
