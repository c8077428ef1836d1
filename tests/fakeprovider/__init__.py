"""A local fake LLM provider for tests: OpenAI, Azure OpenAI, Anthropic, Gemini and Bedrock
wire formats with deterministic text and usage (see ``expected``), steered by ``x-fake-*``
request headers (see ``knobs``)."""

from tests.fakeprovider.expected import ExpectedUsage, expected_usage
from tests.fakeprovider.server import (
    FakeProvider,
    ReceivedRequest,
    run_fake_provider_in_thread,
    start_fake_provider,
)

__all__ = [
    "ExpectedUsage",
    "FakeProvider",
    "ReceivedRequest",
    "expected_usage",
    "run_fake_provider_in_thread",
    "start_fake_provider",
]
