"""The versioned price table and the bundled copy of it."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from pricing._codec import (
    FORMAT,
    FORMAT_VERSION,
    UNIT,
    PriceFormatError,
    model_from_dict,
    model_to_dict,
)
from pricing._compact import CompactModels, PackedModels, pack
from pricing._resolve import Resolver
from pricing._types import ModelPrice, PriceOverride


class PriceTable(Resolver):
    """An immutable catalogue of model prices with one version id, and the resolver of
    traffic names to its entries (`resolve`; see `pricing._resolve` for the rules).

    `version` is what a cost records; with org overrides applied it is
    `<base version>+<override version>`.
    """

    __slots__ = ("effective_date", "source", "version")

    def __init__(
        self,
        models: Mapping[str, ModelPrice],
        *,
        version: str,
        effective_date: str = "",
        aliases: Mapping[str, str] | None = None,
        source: Mapping[str, Any] | None = None,
    ) -> None:
        # A compact catalogue stays compact (its entries are decoded when first read), and so
        # does the overlay `with_overrides` puts on it.
        kept = models if isinstance(models, CompactModels | ChainMap) else dict(models)
        super().__init__(kept, dict(aliases or {}))
        self.version = version
        self.effective_date = effective_date
        self.source: dict[str, Any] = dict(source or {})

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, key: object) -> bool:
        return key in self._models

    def __repr__(self) -> str:
        return f"<PriceTable {self.version} models={len(self)}>"

    def models(self) -> Iterator[str]:
        """Catalogue keys, e.g. `gpt-4o`, `gemini/gemini-2.5-pro`, `azure/gpt-4o`."""
        return iter(self._models)

    def overridden(self) -> frozenset[str]:
        """The keys whose entries `with_overrides` changed or added; none in a base table."""
        models = self._models
        return frozenset(models.maps[0]) if isinstance(models, ChainMap) else frozenset()

    def with_overrides(self, overrides: list[PriceOverride], version: str) -> PriceTable:
        """A new table with an org's prices applied; this table is unchanged."""
        from pricing._overrides import apply_overrides

        models = apply_overrides(self._models, overrides, self.effective_date)
        return PriceTable(
            models,
            version=f"{self.version}+{version}",
            effective_date=self.effective_date,
            aliases=self._aliases,
            source=self.source,
        )

    def to_dict(self) -> dict[str, Any]:
        """Our JSON format (see `pricing._codec`)."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "effective_date": self.effective_date,
            "unit": UNIT,
            "source": self.source,
            "aliases": dict(sorted(self._aliases.items())),
            "models": {k: model_to_dict(self._models[k]) for k in sorted(self._models)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        models_data = _models_of(data)
        models = {str(k): model_from_dict(str(k), v) for k, v in models_data.items()}
        return cls(models, **_header(data, models_data))

    @classmethod
    def from_packed(cls, packed: PackedTable) -> PriceTable:
        """A compact table (`pricing._compact`): an entry is decoded, and so validated, when it
        is first read. For a catalogue whose entries were checked when it was built (the
        bundled one, by its tests)."""
        return cls(CompactModels(packed.models), **parse_json(packed.header))


@dataclass(frozen=True, slots=True)
class PackedTable:
    """A price document packed flat (see `pricing._compact`): its header and its entries."""

    header: bytes
    models: PackedModels

    @classmethod
    def from_json(cls, text: str | bytes) -> PackedTable:
        data = parse_json(text)
        models_data = _models_of(data)
        header = json.dumps(_header(data, models_data), default=str).encode()
        return cls(header=header, models=pack(models_data))


def _models_of(data: Mapping[str, Any]) -> Mapping[str, Any]:
    if data.get("format") != FORMAT:
        raise PriceFormatError(f"not an {FORMAT} document")
    if data.get("format_version") != FORMAT_VERSION:
        raise PriceFormatError(f"unsupported format_version {data.get('format_version')!r}")
    models_data = data.get("models")
    if not isinstance(models_data, Mapping):
        raise PriceFormatError("'models' must be an object")
    return models_data


def _header(data: Mapping[str, Any], models_data: Mapping[str, Any]) -> dict[str, Any]:
    """`PriceTable`'s keyword arguments but the models."""
    aliases = data.get("aliases") or {}
    return {
        "version": str(data.get("version") or content_version(models_data, aliases, "")),
        "effective_date": str(data.get("effective_date") or ""),
        "aliases": {str(a): str(t) for a, t in aliases.items()},
        "source": data.get("source") or {},
    }


def content_version(models: Mapping[str, Any], aliases: Mapping[str, Any], date: str) -> str:
    """`<date>.<first 12 hex of sha256 of the canonical models+aliases JSON>`."""
    canonical = json.dumps(
        {"aliases": aliases, "models": models}, sort_keys=True, separators=(",", ":"), default=str
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    return f"{date}.{digest}" if date else digest


def parse_json(text: str | bytes) -> Any:
    """JSON with every number read as Decimal from its text (1e-06 stays exact)."""
    return json.loads(text, parse_float=Decimal)


@functools.cache
def load_bundled_table() -> PriceTable:
    """The table shipped in `pricing/data/prices.json`, loaded once per process; its entries
    become objects as they are first priced (`pricing._compact`)."""
    text = resources.files("pricing").joinpath("data", "prices.json").read_bytes()
    # Packed first, the parsed document dropped, then the table built (see `pricing._compact`).
    return PriceTable.from_packed(PackedTable.from_json(text))
