"""Conversion of the community price table (LiteLLM's model_prices_and_context_window) to ours.

The community file gives USD per token as JSON numbers; field names encode the class, an
optional context threshold (`_above_200k_tokens`) and an optional service tier (`_batches`,
`_flex`, `_priority`). We keep only token and per-request prices, as decimal strings in USD per
million tokens, and the few catalogue fields we use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pricing._types import MILLION

_BASE_FIELDS: dict[str, str] = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_read",
    "cache_creation_input_token_cost": "cache_write_5m",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "output_cost_per_reasoning_token": "reasoning",
    "input_cost_per_audio_token": "audio_input",
    "output_cost_per_audio_token": "audio_output",
    "input_cost_per_request": "request",
}
_TIER_SUFFIXES: dict[str, str] = {"batches": "batch", "flex": "flex", "priority": "priority"}
_FIELD_RE = re.compile(
    r"^(?P<base>input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost(?:_above_1hr)?|output_cost_per_reasoning_token"
    r"|input_cost_per_audio_token|output_cost_per_audio_token|input_cost_per_request)"
    r"(?:_above_(?P<k>\d+)k_tokens)?(?:_(?P<tier>batches|flex|priority))?$"
)

# Community provider names -> ours (the names callers pass as `provider`).
PROVIDER_NAMES: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "azure": "azure",
    "azure_text": "azure",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "fireworks_ai-embedding-models": "fireworks",
    "openrouter": "openrouter",
}


def provider_name(community_provider: str) -> str:
    if community_provider.startswith("vertex_ai"):
        return "vertex"
    return PROVIDER_NAMES.get(community_provider, community_provider)


def is_community_table(data: Mapping[str, Any]) -> bool:
    return "models" not in data and any(
        isinstance(v, Mapping) and "litellm_provider" in v for v in data.values()
    )


def convert_community(
    data: Mapping[str, Any], effective_date: str
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Community entries -> (our model entries, aliases). Entries without a token or
    per-request price are dropped."""
    models: dict[str, dict[str, Any]] = {}
    aliases: dict[str, str] = {}
    for key, entry in data.items():
        if key == "sample_spec" or not isinstance(entry, Mapping):
            continue
        if isinstance(entry.get("alias_of"), str):
            aliases[key] = entry["alias_of"]
            continue
        converted = convert_entry(entry, effective_date)
        if converted is not None:
            models[key] = converted
    aliases = {a: t for a, t in aliases.items() if t in models and a not in models}
    return models, aliases


def convert_entry(entry: Mapping[str, Any], effective_date: str) -> dict[str, Any] | None:
    rates: dict[str, dict[int, dict[str, str]]] = {}
    for name, value in entry.items():
        match = _FIELD_RE.match(name)
        price = _decimal(value)
        if match is None or price is None:
            continue
        tier = _TIER_SUFFIXES.get(match["tier"] or "", "standard")
        above = int(match["k"]) * 1000 if match["k"] else 0
        rate_class = _BASE_FIELDS[match["base"]]
        scaled = price if rate_class == "request" else price * MILLION
        rates.setdefault(tier, {}).setdefault(above, {})[rate_class] = decimal_text(scaled)
    for step in entry.get("tiered_pricing") or ():
        _add_range_step(rates.setdefault("standard", {}), step)
    standard = rates.get("standard", {})
    if not any(standard.values()):
        return None
    result: dict[str, Any] = {
        "provider": provider_name(str(entry.get("litellm_provider") or "unknown")),
        "mode": str(entry.get("mode") or "chat"),
        "effective_date": effective_date,
    }
    for limit in ("max_input_tokens", "max_output_tokens"):
        if isinstance(entry.get(limit), int) and not isinstance(entry.get(limit), bool):
            result[limit] = entry[limit]
    result["rates"] = {
        tier: [{"above": above, **rates[tier][above]} for above in sorted(rates[tier])]
        for tier in ("standard", "batch", "flex", "priority")
        if tier in rates and any(rates[tier].values())
    }
    return result


def _add_range_step(standard: dict[int, dict[str, str]], step: Any) -> None:
    if not isinstance(step, Mapping) or not isinstance(step.get("range"), list | tuple):
        return
    lower = _decimal(step["range"][0]) if step["range"] else None
    if lower is None:
        return
    for name, value in step.items():
        price = _decimal(value)
        if name in _BASE_FIELDS and name != "input_cost_per_request" and price is not None:
            bucket = standard.setdefault(int(lower), {})
            bucket[_BASE_FIELDS[name]] = decimal_text(price * MILLION)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        return None
    try:
        # float only when a caller parsed without parse_float=Decimal: go through repr.
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return result if result.is_finite() and result >= 0 else None


def decimal_text(value: Decimal) -> str:
    """Plain positional text, no exponent, no trailing zeros: 2.5E-6*1e6 -> '2.5'."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0E-0") else text
