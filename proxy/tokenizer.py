"""Token counting with tiktoken, from encodings bundled in the package (no run-time download).

Counts are exact for OpenAI models (their own encoding). Every other model family is estimated
as the o200k count times a per-family factor (``FAMILY_FACTORS``, see docs/providers.md), and
flagged as estimated. Work is bounded: text beyond ``MAX_EXACT_CHARS`` is estimated from its
length, so a huge request body cannot stall the hot path.

Loading an encoding takes 0.3-0.5 s of CPU, and tiktoken builds its Rust core holding the GIL
(a load in a worker thread still stalled the event loop for 170 ms). So the proxy ``preload``s
every bundled encoding in a worker thread before it listens, and no call waits for a load: a
count asked for while an encoding is still loading (before the proxy serves, or one that is not
bundled) is estimated from the text's length and flagged as such. Elsewhere (the CLI, tests) the
first count loads the encoding where it is asked for.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
from collections.abc import Callable
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

from proxy.prompt_parts import prompt_parts

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


class _Encodings:
    """The loaded encodings. A missing encoding is loaded where it is first needed (the CLI,
    tests), except while a proxy serves calls in this process (``serving``): then it is loaded
    in a worker thread and counts are estimated from length meanwhile, never waiting."""

    def __init__(self) -> None:
        self.loaded: dict[str, tiktoken.Encoding] = {}
        self.lock = threading.Lock()
        self.serving = 0  # proxies serving in this process (``serve``)
        self.loaders: set[threading.Thread] = set()

    def get(self, name: str) -> tiktoken.Encoding:
        loaded = self.loaded.get(name)
        if loaded is not None:
            return loaded
        with self.lock:
            if name not in self.loaded:
                self.loaded[name] = _load(name)
            return self.loaded[name]

    def available(self, name: str) -> tiktoken.Encoding | None:
        loaded = self.loaded.get(name)
        if loaded is not None:
            return loaded
        if not self.serving:
            return None if self.lock.locked() else self.get(name)
        if not any(t.name == name for t in self.loaders):
            loader = threading.Thread(target=self._load_in_background, args=(name,), name=name)
            self.loaders.add(loader)
            loader.start()
        return None

    def _load_in_background(self, name: str) -> None:
        try:
            self.get(name)
        finally:
            self.loaders.discard(threading.current_thread())


_ENCODINGS_LOADED = _Encodings()
# Every bundled encoding: cl100k (gpt-4, gpt-3.5, embeddings) too, ~23 MiB; loading it on first
# use while serving stalled every call in flight (see the module docstring).
SERVING_ENCODINGS = ("o200k_base", "cl100k_base")


def encoding(name: str) -> tiktoken.Encoding:
    """A bundled encoding, loaded once (about 0.3 s for o200k) with its hash checked."""
    return _ENCODINGS_LOADED.get(name)


def preload(names: tuple[str, ...] = SERVING_ENCODINGS) -> None:
    """Load ``names`` now (blocking: run it in a worker thread)."""
    for name in names:
        encoding(name)


def serve() -> Callable[[], None]:
    """A proxy in this process starts serving calls: until the returned function is called, no
    count waits for an encoding to load (see ``_Encodings``)."""
    _ENCODINGS_LOADED.serving += 1

    def stop_serving() -> None:
        _ENCODINGS_LOADED.serving -= 1

    return stop_serving


def _load(name: str) -> tiktoken.Encoding:
    sha256, pat_str, special = _ENCODINGS[name]
    ranks = _read_ranks(DATA_DIR / f"{name}.tiktoken", sha256)
    enc = tiktoken.Encoding(name, pat_str=pat_str, mergeable_ranks=ranks, special_tokens=special)
    # The Rust core holds its own copy of the ranks; tiktoken keeps the Python dict only to
    # pickle the encoding, which we never do. Dropping it saves ~37 MiB per process (o200k
    # and cl100k together).
    enc._mergeable_ranks = {}
    return enc


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
    enc = _ENCODINGS_LOADED.available(enc_name) if size <= MAX_EXACT_CHARS else None
    if enc is None:
        nbytes = sum(len(t.encode("utf-8", "replace")) for t in texts)
        return math.ceil(nbytes / CHARS_PER_TOKEN_BEYOND_CAP), False
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
