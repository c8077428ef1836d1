"""Token counting with tiktoken, from encodings bundled in the package (no run-time download).

Counts are exact for OpenAI models (their own encoding). Every other model family is estimated
as the o200k count times a per-family factor (``FAMILY_FACTORS``, see docs/providers.md), and
flagged as estimated. Work is bounded: text beyond ``MAX_EXACT_CHARS`` is estimated from its
length, so a huge request body cannot stall the hot path.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
from pathlib import Path
from typing import Any

import tiktoken
from tiktoken_ext.openai_public import (
    ENDOFPROMPT,
    ENDOFTEXT,
    FIM_MIDDLE,
    FIM_PREFIX,
    FIM_SUFFIX,
)

from proxy.providers.prompts import prompt_parts

DATA_DIR = Path(__file__).parent / "tokenizer_data"
MAX_EXACT_CHARS = 1_000_000
CHARS_PER_TOKEN_BEYOND_CAP = 4  # OpenAI's rule of thumb for English text

# Verbatim from tiktoken_ext.openai_public (tests/proxy/providers/test_tokens.py checks it).
O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
CL100K_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""

_ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        O200K_PAT,
        {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        CL100K_PAT,
        {
            ENDOFTEXT: 100257,
            FIM_PREFIX: 100258,
            FIM_MIDDLE: 100259,
            FIM_SUFFIX: 100260,
            ENDOFPROMPT: 100276,
        },
    ),
}

# Model-name prefixes, longest first wins. OpenAI models only: these counts are exact.
_OPENAI_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("gpt-oss", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("codex", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-35", "cl100k_base"),  # Azure spells gpt-3.5 this way
    ("gpt-3.5", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
    ("text-embedding-ada-002", "cl100k_base"),
)

# Other tokenizers, approximated as o200k count x factor. Chosen from published comparisons:
# Claude's tokenizer yields ~15-35% more tokens than o200k on English and code; Gemini's and the
# large-vocabulary open models land within a few percent of o200k; Mistral's 32k-131k vocabularies
# yield ~10-20% more. Erring high keeps pre-call budget checks on the safe side.
FAMILY_FACTORS: tuple[tuple[str, float], ...] = (
    ("claude", 1.25),
    ("anthropic.", 1.25),  # Bedrock model ids
    ("gemini", 1.05),
    ("gemma", 1.05),
    ("mistral", 1.15),
    ("mixtral", 1.15),
    ("codestral", 1.15),
    ("ministral", 1.15),
    ("llama", 1.10),
    ("meta.", 1.10),
    ("deepseek", 1.05),
    ("qwen", 1.05),
    ("grok", 1.05),
    ("amazon.nova", 1.10),
)
DEFAULT_FACTOR = 1.10


@functools.cache
def encoding(name: str) -> tiktoken.Encoding:
    """Load a bundled encoding once (about 0.3 s for o200k), checking its hash."""
    sha256, pat_str, special = _ENCODINGS[name]
    ranks = _read_ranks(DATA_DIR / f"{name}.tiktoken", sha256)
    return tiktoken.Encoding(name, pat_str=pat_str, mergeable_ranks=ranks, special_tokens=special)


def _read_ranks(path: Path, sha256: str) -> dict[bytes, int]:
    """The ``.tiktoken`` format (base64 token, space, rank per line), read directly.

    Not ``tiktoken.load.load_tiktoken_bpe``: it copies even a local file into
    TIKTOKEN_CACHE_DIR, and raises when that directory is read-only (a hardened pod)."""
    contents = path.read_bytes()
    if hashlib.sha256(contents).hexdigest() != sha256:
        raise ValueError(f"bundled encoding {path.name} does not match its sha256")
    return {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in contents.splitlines() if line)
    }


def encoding_for_model(model: str | None) -> tuple[str, float, bool]:
    """(encoding name, factor, exact) for a model name; unknown models are estimated."""
    name = _bare_model(model)
    for prefix, enc in _OPENAI_PREFIXES:
        if name.startswith(prefix):
            return enc, 1.0, True
    for key, factor in FAMILY_FACTORS:
        if key in name:
            return "o200k_base", factor, False
    return "o200k_base", DEFAULT_FACTOR, False


def count_text(text: str, model: str | None) -> int:
    """Tokens of ``text`` for ``model``: exact for OpenAI models, estimated otherwise."""
    return count_text_with_exactness(text, model)[0]


def count_text_with_exactness(text: str, model: str | None) -> tuple[int, bool]:
    return count_texts([text], model)


def count_texts(texts: list[str], model: str | None) -> tuple[int, bool]:
    """Sum of the token counts of each text (pieces are encoded apart, as providers frame
    them apart), and whether the sum is exact."""
    enc_name, factor, exact = encoding_for_model(model)
    size = sum(len(t) for t in texts)
    if size > MAX_EXACT_CHARS:
        nbytes = sum(len(t.encode("utf-8", "replace")) for t in texts)
        return math.ceil(nbytes / CHARS_PER_TOKEN_BEYOND_CAP), False
    enc = encoding(enc_name)
    # encode_ordinary: special-token text in a prompt is just text, and never raises.
    count = sum(len(enc.encode_ordinary(t)) for t in texts if t)
    return (count, exact) if exact else (math.ceil(count * factor), False)


def _bare_model(model: str | None) -> str:
    """Lower-cased, without a routing prefix (openrouter's ``openai/gpt-4o``, Vertex paths)."""
    name = (model or "").lower()
    return name.rsplit("/", 1)[-1] if "/" in name else name


def estimate_prompt_tokens(endpoint_name: str, body: Any, model: str | None) -> tuple[int, bool]:
    """Pre-call estimate of the prompt tokens of a parsed request body.

    Returns (tokens, exact); exact only for OpenAI chat/embeddings on an OpenAI model, with
    nothing approximated (no tools, media or multi-part content).
    """
    parts = prompt_parts(endpoint_name, body)
    count, exact = count_texts(parts.texts, model)
    return count + parts.overhead, exact and parts.exact
