"""Direct entries for models the community table lists only under a reseller's key.

Anthropic's Claude models are sold at the same list price on Anthropic's own API as on-demand
on Amazon Bedrock (base region, no cross-region profile prefix) and on Google Vertex AI, but
the community table lists some of them only under ``anthropic.<model>-v1:0`` (Bedrock) or
``vertex_ai/<model>@<date>`` (Vertex). A call made directly to Anthropic with the model's own
name (``claude-3-5-haiku-20241022``) must not come out unpriced: this step adds an
``anthropic`` entry with the reseller entry's rates (the source being that key) wherever the
direct name has none. Entries the community table has for Anthropic itself always win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# anthropic.claude-3-5-haiku-20241022-v1:0 -> claude-3-5-haiku-20241022
_BEDROCK = re.compile(r"^anthropic\.(?P<name>claude-[a-z0-9.-]+?)(?:-v\d+(?::\d+)?)?$")
# vertex_ai/claude-3-5-haiku@20241022 -> claude-3-5-haiku-20241022
_VERTEX = re.compile(r"^vertex_ai/(?P<name>claude-[a-z0-9.-]+?)@(?P<date>\d{8})$")


def direct_name(key: str) -> str | None:
    """The name Anthropic's own API uses for a reseller key, or None."""
    if match := _BEDROCK.match(key):
        return match.group("name")
    if match := _VERTEX.match(key):
        return f"{match.group('name')}-{match.group('date')}"
    return None


def direct_entries(models: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """New ``anthropic`` entries keyed by direct name (Bedrock's price first, then Vertex's)."""
    added: dict[str, dict[str, Any]] = {}
    for key in sorted(models, key=lambda k: (not k.startswith("anthropic."), k)):
        name = direct_name(key)
        if name is None or name in models or name in added:
            continue
        added[name] = {**models[key], "provider": "anthropic"}
    return added


# Anthropic's documented model aliases (docs.anthropic.com, "Model names"), each pointing at
# the snapshot it currently serves; traffic that sends an alias is priced as that snapshot.
ANTHROPIC_ALIASES = {
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-3-opus-latest": "claude-3-opus-20240229",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-opus-4-0": "claude-opus-4-20250514",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
}


def direct_aliases(models: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, str]:
    """The documented aliases whose snapshot is priced and that the table lacks."""
    return {
        alias: key
        for alias, key in ANTHROPIC_ALIASES.items()
        if key in models and alias not in models and alias not in aliases
    }
