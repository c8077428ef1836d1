"""Token counts from the bundled encodings: pinned values, offline loading, bounded work."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tiktoken.load
import tiktoken_ext.openai_public as openai_public  # type: ignore[import-untyped]

from proxy import tokenizer


@pytest.mark.parametrize(
    ("text", "o200k", "cl100k"),
    [
        ("Hello, world!", 4, 4),
        ("tiktoken is great!", 6, 6),
        ("The quick brown fox jumps over the lazy dog.", 10, 10),
        ("こんにちは世界", 2, 4),
        ("<|endoftext|>", 7, 7),  # special-token text in a prompt is ordinary text
        ("", 0, 0),
    ],
)
def test_pinned_counts(text: str, o200k: int, cl100k: int) -> None:
    assert tokenizer.count_text(text, "gpt-4o") == o200k
    assert tokenizer.count_text(text, "gpt-4") == cl100k


@pytest.mark.parametrize(
    ("model", "encoding", "exact"),
    [
        ("gpt-4o-mini", "o200k_base", True),
        ("gpt-4.1-nano", "o200k_base", True),
        ("o3-mini", "o200k_base", True),
        ("gpt-5", "o200k_base", True),
        ("openai/gpt-4o", "o200k_base", True),
        ("gpt-4-turbo", "cl100k_base", True),
        ("gpt-35-turbo", "cl100k_base", True),
        ("gpt-3.5-turbo", "cl100k_base", True),
        ("text-embedding-3-small", "cl100k_base", True),
        ("claude-sonnet-4-6", "o200k_base", False),
        ("gemini-2.5-flash", "o200k_base", False),
        (None, "o200k_base", False),
    ],
)
def test_model_to_encoding(model: str | None, encoding: str, exact: bool) -> None:
    name, _, is_exact = tokenizer.encoding_for_model(model)
    assert (name, is_exact) == (encoding, exact)


def test_other_families_are_scaled_and_flagged() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    assert tokenizer.count_texts([text], "claude-opus-4-7") == (13, False)  # ceil(10 x 1.25)
    assert tokenizer.count_texts([text], "gemini-2.5-pro") == (11, False)  # ceil(10 x 1.05)


def test_pattern_and_special_tokens_match_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our copies of the regexes must equal tiktoken's (its constructors, minus the download)."""
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *a, **k: {})
    for name in ("o200k_base", "cl100k_base"):
        spec: dict[str, Any] = getattr(openai_public, name)()
        ours = tokenizer.encoding(name)
        assert ours._pat_str == spec["pat_str"]
        assert ours._special_tokens == spec["special_tokens"]


def test_counts_work_offline_with_an_empty_cache(tmp_path: Path) -> None:
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from proxy.tokenizer import count_text\n"
        "print(count_text('Hello, world!', 'gpt-4o'), count_text('Hello, world!', 'gpt-4'))\n"
    )
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["4", "4"]
    assert list(tmp_path.iterdir()) == []  # nothing fetched, nothing cached


def test_huge_text_is_estimated_from_its_size() -> None:
    text = "word " * 400_000  # 2 MB
    assert tokenizer.count_texts([text], "gpt-4o") == (500_000, False)


def test_bundled_ranks_equal_tiktokens_own_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tokenizer.encoding("cl100k_base") is tokenizer.encoding("cl100k_base")  # loaded once
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # "" disables tiktoken's cache
    path = tokenizer.DATA_DIR / "cl100k_base.tiktoken"
    from_tiktoken = tiktoken.load.load_tiktoken_bpe(str(path))
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    assert tokenizer._read_ranks(path, sha256) == from_tiktoken


def test_a_count_never_waits_for_a_load_under_way_in_another_thread() -> None:
    """While a load runs in a worker thread (as the proxy's warm-up runs it), a count asked
    for on another thread is estimated from the text's length instead of waiting."""
    encodings = tokenizer._ENCODINGS_LOADED
    saved = encodings.loaded.pop("o200k_base", None)
    try:
        with encodings.lock:  # as held by a load under way
            assert tokenizer.count_texts(["x" * 400], "gpt-4o") == (100, False)
            assert tokenizer.count_texts(["x" * 400], "claude-sonnet-4") == (100, False)
    finally:
        if saved is not None:
            encodings.loaded["o200k_base"] = saved
    assert tokenizer.count_texts(["hello world"], "gpt-4o") == (2, True)


def test_a_serving_proxy_preloads_every_bundled_encoding() -> None:
    """A load while serving stalls the event loop (tiktoken builds its core holding the GIL):
    the proxy's warm-up loads every encoding a count can ask for before it listens."""
    assert set(tokenizer.SERVING_ENCODINGS) == set(tokenizer._ENCODINGS)
    assert {tokenizer.encoding_for_model(m)[0] for m in ("gpt-4", "gpt-4o", "claude-3")} <= set(
        tokenizer.SERVING_ENCODINGS
    )


def test_once_serving_a_missing_encoding_loads_in_the_background() -> None:
    """While a proxy serves in the process, a count for an encoding not loaded yet is
    estimated while it loads in a thread; the counts after it are exact."""
    code = (
        "import time\n"
        "from proxy import tokenizer\n"
        "tokenizer.serve()\n"
        "tokenizer.preload(('o200k_base',))\n"
        "assert 'cl100k_base' not in tokenizer._ENCODINGS_LOADED.loaded\n"
        "print(tokenizer.count_texts(['x' * 400], 'gpt-4'))\n"
        "while tokenizer._ENCODINGS_LOADED.loaders: time.sleep(0.01)\n"
        "print(tokenizer.count_texts(['hello world'], 'gpt-4'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["(100, False)", "(2, True)"]


@pytest.mark.parametrize(
    ("endpoint", "body", "model", "expected"),
    [
        # OpenAI cookbook: 3 per message + role + content (+1 per name) + 3 reply priming
        (
            "chat.completions",
            {"messages": [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hello, world!"}]},
            "gpt-4o",
            (3 + 1 + 4 + 3 + 1 + 4 + 3, True),
        ),
        ("chat.completions", {"messages": [{"role": "user", "name": "bob", "content": "hi"}]}, "gpt-4o", (3 + 1 + 1 + 1 + 1 + 3, True)),
        ("embeddings", {"input": ["Hello, world!", "tiktoken is great!"]}, "text-embedding-3-small", (10, True)),
        ("embeddings", {"input": [[1, 2, 3], [4, 5]]}, "text-embedding-3-small", (5, True)),
    ],
)  # fmt: skip
def test_prompt_estimates(endpoint: str, body: Any, model: str, expected: tuple[int, bool]) -> None:
    assert tokenizer.estimate_prompt_tokens(endpoint, body, model) == expected


def test_tools_and_images_make_estimates_inexact_but_larger() -> None:
    plain = {"messages": [{"role": "user", "content": "hi"}]}
    tool = {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object"}},
    }
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with_tools, exact_tools = tokenizer.estimate_prompt_tokens(
        "chat.completions", {**plain, "tools": [tool]}, "gpt-4o"
    )
    with_image, exact_image = tokenizer.estimate_prompt_tokens(
        "chat.completions", {"messages": [{"role": "user", "content": [image]}]}, "gpt-4o"
    )
    assert with_tools > 8
    assert not exact_tools
    assert with_image > 765
    assert not exact_image


def test_anthropic_estimate_counts_system_messages_and_tool_results() -> None:
    body = {
        "model": "claude-sonnet-4-6",
        "system": [
            {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "22 degrees"}
                ],
            }
        ],
    }
    count, exact = tokenizer.estimate_prompt_tokens("messages", body, "claude-sonnet-4-6")
    assert not exact
    assert 10 <= count <= 25
