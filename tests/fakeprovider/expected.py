"""What the fake provider answers, so tests know the exact text and usage to expect.

Every provider reports the same underlying call (25 prompt tokens of which 8 were read from
the cache, 12 completion tokens of which 4 were reasoning); each writes it in its own wire
convention. ``NORMALISED`` is that call in our convention (see ``proxy/providers/base.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

REPLY_TEXT = "Hello from the fake provider. This reply is the same every time."
THINKING_TEXT = "The user wants a greeting; keep it short."
TOOL_ARGUMENTS = '{"city": "Paris", "unit": "celsius"}'
DEFAULT_CHUNKS = 4

PROMPT_TOKENS = 25  # whole prompt, cached and cache-write included
CACHED_READ_TOKENS = 8
CACHE_WRITE_5M_TOKENS = 4  # Anthropic / Bedrock only
CACHE_WRITE_1H_TOKENS = 3  # Anthropic only
COMPLETION_TOKENS = 12  # per choice, reasoning included
REASONING_TOKENS = 4
EMBEDDING_DIMENSIONS = 8


@dataclass(frozen=True, slots=True)
class ExpectedUsage:
    input: int
    output: int
    cached_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    reasoning: int = 0


def expected_usage(provider: str, *, n: int = 1) -> ExpectedUsage:
    """The normalised usage the adapters must produce for a fake-provider reply.

    ``provider`` is the wire family: openai (also azure and compatible hosts), anthropic,
    gemini, bedrock, embeddings.
    """
    if provider == "embeddings":
        return ExpectedUsage(input=PROMPT_TOKENS, output=0)
    if provider == "anthropic":
        return ExpectedUsage(
            input=PROMPT_TOKENS,
            output=COMPLETION_TOKENS,
            cached_read=CACHED_READ_TOKENS,
            cache_write_5m=CACHE_WRITE_5M_TOKENS,
            cache_write_1h=CACHE_WRITE_1H_TOKENS,
            reasoning=REASONING_TOKENS,
        )
    if provider == "bedrock":
        return ExpectedUsage(
            input=PROMPT_TOKENS,
            output=COMPLETION_TOKENS,
            cached_read=CACHED_READ_TOKENS,
            cache_write_5m=CACHE_WRITE_5M_TOKENS + CACHE_WRITE_1H_TOKENS,
        )
    return ExpectedUsage(
        input=PROMPT_TOKENS,
        output=COMPLETION_TOKENS * n,
        cached_read=CACHED_READ_TOKENS,
        reasoning=REASONING_TOKENS * n,
    )


def split_text(text: str, pieces: int) -> list[str]:
    """``text`` cut into ``pieces`` non-empty parts (fewer if the text is shorter)."""
    pieces = max(1, min(pieces, len(text)))
    size = len(text)
    return [text[i * size // pieces : (i + 1) * size // pieces] for i in range(pieces)]


def served_model(requested: str) -> str:
    """OpenAI answers with a dated snapshot of the alias it was asked for."""
    return requested if requested[-10:-8] == "20" else f"{requested}-2025-01-01"
