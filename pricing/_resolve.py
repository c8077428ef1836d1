"""Model name resolution: the names real traffic sends -> a catalogue key.

Order, first hit wins (a hit must belong to the caller's provider, or to one it may fall back
to, see `PROVIDER_FALLBACK`):
1. the exact name, then the name under each of the provider's catalogue prefixes;
2. the same after normalising the name: `models/` and `publishers/*/models/` (Gemini, Vertex),
   ARNs (last path segment), provider prefixes (`openai/`, `bedrock/`, ...), Bedrock regional
   inference profiles (`us.`, `eu.`, `apac.`, `global.`, ...);
3. the same without a snapshot suffix (`-2024-08-06`, `-20241022`, `@20240620`, `-latest`,
   Bedrock `-v2:0`), then with version dots as dashes (`claude-sonnet-4.5` -> `claude-sonnet-4-5`);
4. a case-insensitive match;
5. fine-tuned names (`ft:BASE:org:suffix:id`): the catalogue's `ft:BASE` entry, with or without
   the base's snapshot date. A fine-tune never falls back to the base model's ordinary rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pricing._types import ModelPrice

# Catalogue key prefixes under which each provider's models are listed.
PROVIDER_PREFIXES: dict[str, tuple[str, ...]] = {
    "openai": ("", "openai/"),
    "anthropic": ("", "anthropic/"),
    "gemini": ("gemini/", ""),
    "vertex": ("", "vertex_ai/"),
    "azure": ("azure/", "azure_ai/", ""),
    "bedrock": ("", "bedrock/", "bedrock/converse/"),
    "mistral": ("mistral/", ""),
    "groq": ("groq/", ""),
    "deepseek": ("deepseek/", ""),
    "xai": ("xai/", ""),
    "together": ("together_ai/", ""),
    "fireworks": ("fireworks_ai/", "fireworks_ai/accounts/fireworks/models/", ""),
    "openrouter": ("openrouter/", ""),
}
# When a provider's own listing lacks the model, the price of these providers is used
# (same model, same list price). openrouter and openai_compatible accept any provider.
PROVIDER_FALLBACK: dict[str, tuple[str, ...]] = {
    "azure": ("azure_ai", "openai"),
    "gemini": ("vertex",),
    "vertex": ("gemini",),
}
ANY_PROVIDER = frozenset({"openrouter", "openai_compatible"})
# Name prefixes traffic uses -> our provider name.
NAME_PREFIXES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure",
    "azure_ai": "azure",
    "bedrock": "bedrock",
    "vertex_ai": "vertex",
    "vertex": "vertex",
    "gemini": "gemini",
    "google": "gemini",
    "mistral": "mistral",
    "mistralai": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "together_ai": "together",
    "together": "together",
    "fireworks_ai": "fireworks",
    "fireworks": "fireworks",
    "openrouter": "openrouter",
}
_REGION_RE = re.compile(r"^(?:us|eu|apac|ap|global|us-gov|ca|jp|au)\.(?=[a-z0-9-]+\.)")
_SNAPSHOT_RE = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|@default|-latest|-v\d+:\d+)$")
_VERSION_DOT_RE = re.compile(r"(?<=\d)\.(?=\d)")
_CACHE_LIMIT = 8192


class Resolver:
    """Finds the catalogue entry for a traffic name; memoises answers (hot path)."""

    __slots__ = ("_aliases", "_cache", "_ft", "_lower", "_models")

    def __init__(self, models: Mapping[str, ModelPrice], aliases: Mapping[str, str]) -> None:
        self._models = models
        self._aliases = aliases
        self._lower = {k.lower(): k for k in sorted(models, reverse=True)}
        self._ft: dict[str, str] = {}
        for key in sorted(models):  # later snapshots win
            if key.startswith("ft:"):
                self._ft[strip_snapshot(key)] = key
        self._cache: dict[tuple[str, str | None], ModelPrice | None] = {}

    def resolve(
        self,
        model: str,
        provider: str | None = None,
        azure_deployments: Mapping[str, str] | None = None,
    ) -> ModelPrice | None:
        if azure_deployments:
            model = azure_deployments.get(model, model)
        cache_key = (model, provider)
        try:
            return self._cache[cache_key]
        except KeyError:
            pass
        found = self._search(model.strip(), provider)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[cache_key] = found
        return found

    def _search(self, model: str, provider: str | None) -> ModelPrice | None:
        if not model:
            return None
        if model.startswith("ft:"):
            return self._fine_tuned(model, provider)
        name, provider = normalise(model, provider)
        names = [model, name]
        if provider in (None, "bedrock"):
            names.append(_REGION_RE.sub("", name))
        names += [strip_snapshot(n) for n in names]
        names.append(_VERSION_DOT_RE.sub("-", names[-1]))  # openrouter: claude-sonnet-4.5
        for candidate in dict.fromkeys(names):
            if (found := self._lookup(candidate, provider)) is not None:
                return found
        for candidate in dict.fromkeys(names):
            lowered = self._lower.get(candidate.lower())
            if lowered and (found := self._lookup(lowered, provider)) is not None:
                return found
        return None

    def _fine_tuned(self, model: str, provider: str | None) -> ModelPrice | None:
        base = model.split(":")[1] if model.count(":") >= 1 else ""
        base, provider = normalise(base, provider)
        for candidate in (f"ft:{base}", self._ft.get(f"ft:{strip_snapshot(base)}")):
            if candidate and (found := self._lookup(candidate, provider)) is not None:
                return found
        return None

    def _lookup(self, name: str, provider: str | None) -> ModelPrice | None:
        if provider is None:
            return self.get(name)
        fallback = None
        for prefix in PROVIDER_PREFIXES.get(provider, ("",)):
            entry = self.get(prefix + name)
            if entry is None:
                continue
            if entry.provider == provider:
                return entry
            if fallback is None and _accepts(provider, entry.provider):
                fallback = entry
        return fallback

    def get(self, key: str) -> ModelPrice | None:
        """The entry stored under exactly this key (or alias); no name resolution."""
        entry = self._models.get(key)
        if entry is None and key in self._aliases:
            entry = self._models.get(self._aliases[key])
        return entry


def _accepts(provider: str, entry_provider: str) -> bool:
    return provider in ANY_PROVIDER or entry_provider in PROVIDER_FALLBACK.get(provider, ())


def normalise(model: str, provider: str | None) -> tuple[str, str | None]:
    """Strip transport decorations from a traffic name; infer the provider from a prefix."""
    name = model
    if name.startswith("arn:"):
        name = name.rsplit("/", 1)[-1]
    if name.startswith("publishers/"):
        name = name.split("/models/", 1)[-1]
    name = name.removeprefix("models/")
    for _ in range(2):  # openrouter/anthropic/claude-...
        head, sep, rest = name.partition("/")
        if not sep or head not in NAME_PREFIXES:
            break
        inferred = NAME_PREFIXES[head]
        if provider is None or provider in ANY_PROVIDER:
            provider = inferred
        name = rest
    return name, provider


def strip_snapshot(name: str) -> str:
    """`claude-x-20250101-v1:0` -> `claude-x`; `gpt-4o-2024-08-06` -> `gpt-4o`."""
    return _SNAPSHOT_RE.sub("", _SNAPSHOT_RE.sub("", name))
