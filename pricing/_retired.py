"""Prices of Gemini 1.5 and 2.0 models, which the community table no longer lists.

Agents still send these names (pinned configurations, frameworks' defaults), and a call to them
must not come out unpriced. The rates are those Google published for the paid tier of the
Gemini Developer API while each model was served, source https://ai.google.dev/gemini-api/docs/pricing
(Gemini 1.5: prompts up to 128k tokens, then the ``above`` rate set; context-cache reads as
``cached_read``; Gemini 2.0: one rate for any prompt length, audio input apart, Batch API at
half price; 2.0 Flash-Lite had no context caching, so no cached rate). USD per 1M tokens. Entries the community table has under the same key win.

Snapshot names (``-001``, ``-002``) are aliases of their model, as Google priced them alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

SOURCE = "https://ai.google.dev/gemini-api/docs/pricing"


def _tiered(below: tuple[str, str, str], above: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Rate sets of a 1.5 model: (input, output, cached_read) up to 128k tokens and above."""
    return [
        {"above": 0, "input": below[0], "output": below[1], "cached_read": below[2]},
        {"above": 128_000, "input": above[0], "output": above[1], "cached_read": above[2]},
    ]


def _flat(
    input_: str, output: str, cached: str | None, audio: str
) -> dict[str, list[dict[str, Any]]]:
    """Standard and batch rates of a 2.0 model (the Batch API halves every rate); ``cached``
    None where the model offered no context caching (2.0 Flash-Lite)."""
    half = {name: str(Decimal(value) / 2) for name, value in
            (("input", input_), ("output", output), ("audio_input", audio))}  # fmt: skip
    standard: dict[str, Any] = {"above": 0, "input": input_, "output": output, "audio_input": audio}
    if cached is not None:
        standard["cached_read"] = cached
    return {"standard": [standard], "batch": [{"above": 0, **half}]}


_CONTEXT = {"max_input_tokens": 1_048_576, "max_output_tokens": 8192}

GEMINI_RETIRED: dict[str, dict[str, Any]] = {
    "gemini/gemini-1.5-pro": {
        "max_input_tokens": 2_097_152, "max_output_tokens": 8192,
        "rates": {"standard": _tiered(("1.25", "5", "0.3125"), ("2.5", "10", "0.625"))},
    },
    "gemini/gemini-1.5-flash": {
        **_CONTEXT,
        "rates": {"standard": _tiered(("0.075", "0.3", "0.01875"), ("0.15", "0.6", "0.0375"))},
    },
    "gemini/gemini-1.5-flash-8b": {
        **_CONTEXT,
        "rates": {"standard": _tiered(("0.0375", "0.15", "0.01"), ("0.075", "0.3", "0.02"))},
    },
    "gemini/gemini-2.0-flash": {**_CONTEXT, "rates": _flat("0.1", "0.4", "0.025", "0.7")},
    "gemini/gemini-2.0-flash-lite": {**_CONTEXT, "rates": _flat("0.075", "0.3", None, "0.075")},
}  # fmt: skip

GEMINI_SNAPSHOTS = {
    "gemini/gemini-1.5-pro-001": "gemini/gemini-1.5-pro",
    "gemini/gemini-1.5-pro-002": "gemini/gemini-1.5-pro",
    "gemini/gemini-1.5-flash-001": "gemini/gemini-1.5-flash",
    "gemini/gemini-1.5-flash-002": "gemini/gemini-1.5-flash",
    "gemini/gemini-1.5-flash-8b-001": "gemini/gemini-1.5-flash-8b",
    "gemini/gemini-2.0-flash-001": "gemini/gemini-2.0-flash",
    "gemini/gemini-2.0-flash-lite-001": "gemini/gemini-2.0-flash-lite",
}


def retired_entries(models: Mapping[str, Any], effective_date: str) -> dict[str, dict[str, Any]]:
    """The retired Gemini entries a table of Gemini prices lacks (a table that prices no
    Gemini model at all, such as an org's private one, gets none), dated like the table."""
    if not any(entry.get("provider") == "gemini" for entry in models.values()):
        return {}
    return {
        key: {"provider": "gemini", "mode": "chat", "effective_date": effective_date, **entry}
        for key, entry in GEMINI_RETIRED.items()
        if key not in models
    }


def retired_aliases(models: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, str]:
    """Snapshot names of the retired models, where the table has neither the name nor an alias."""
    return {
        name: key
        for name, key in GEMINI_SNAPSHOTS.items()
        if key in models and name not in models and name not in aliases
    }
