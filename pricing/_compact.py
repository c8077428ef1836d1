"""The bundled catalogue kept in its encoded form: an entry becomes Python objects when first read.

The bundled table has ~4,000 models; a sidecar prices the few its agent calls. Materialised up
front, the entries cost ~11 MiB of Python objects (rate sets, derived per-token rates, dicts,
tuples) in every proxy; kept as one compact JSON document per model (~1.3 MiB for the whole
table), an entry is decoded by the same `model_from_dict` on its first read (~30 us) and then
cached, so it is the same object on every later read, with exactly the prices of an eagerly
loaded table (tests/pricing/test_compact.py compares every entry).

Loading happens in two steps so that what stays does not sit among what was freed: `pack` turns
the parsed document into three flat objects (the keys, the encoded entries, their ends), the
parsed document is then dropped, and only after that `CompactModels` builds its index. Built
while the parsed document was alive, the index's small objects were scattered over the
allocator's pools among the freed ones and kept them resident (7 MiB instead of 2).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar, overload

from pricing._codec import model_from_dict
from pricing._types import ModelPrice

_T = TypeVar("_T")
_SEPARATOR = "\n"  # between keys in `PackedModels.keys`; no catalogue key holds one


@dataclass(frozen=True, slots=True)
class PackedModels:
    """A catalogue's entries as three flat objects: keys, encoded entries, where each ends."""

    keys: str
    blob: bytes
    ends: array[int]


def pack(models: Mapping[str, Any]) -> PackedModels:
    """``models``: key -> the entry as our price format's JSON object (`pricing._codec`)."""
    keys = [str(k) for k in models]
    if any(_SEPARATOR in k for k in keys):
        raise ValueError("a catalogue key holds a line break")
    encoded = [_encode(v) for v in models.values()]
    ends = array("Q")
    end = 0
    for entry in encoded:
        end += len(entry)
        ends.append(end)
    return PackedModels(keys=_SEPARATOR.join(keys), blob=b"".join(encoded), ends=ends)


class CompactModels(Mapping[str, ModelPrice]):
    """Catalogue key -> entry, each entry stored as its JSON bytes until it is first read."""

    __slots__ = ("_decoded", "_encoded")

    def __init__(self, packed: PackedModels) -> None:
        blob, start = packed.blob, 0
        self._encoded: dict[str, bytes] = {}
        for key, end in zip(packed.keys.split(_SEPARATOR), packed.ends, strict=True):
            self._encoded[key] = blob[start:end]
            start = end
        self._decoded: dict[str, ModelPrice] = {}

    def __getitem__(self, key: str) -> ModelPrice:
        entry = self.find(key)
        if entry is None:
            raise KeyError(key)
        return entry

    @overload
    def get(self, key: str, /) -> ModelPrice | None: ...
    @overload
    def get(self, key: str, /, default: ModelPrice | _T) -> ModelPrice | _T: ...
    def get(self, key: str, /, default: Any = None) -> Any:
        entry = self.find(key)
        return default if entry is None else entry

    def find(self, key: str) -> ModelPrice | None:
        """The entry under ``key``, decoded on its first read; None when there is none."""
        entry = self._decoded.get(key)
        if entry is not None:
            return entry
        encoded = self._encoded.get(key)
        if encoded is None:
            return None
        # No lock: two threads decoding one key at once build equal entries; one is kept.
        return self._decoded.setdefault(key, model_from_dict(key, _decode(encoded)))

    def __contains__(self, key: object) -> bool:
        return key in self._encoded

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    def decoded(self) -> int:
        """How many entries have been read (and so are held as objects)."""
        return len(self._decoded)


def _encode(value: Any) -> bytes:
    # A number the JSON parser read as Decimal is written back as its exact text, as a string:
    # `model_from_dict` reads a rate from either (and rejects a non-integer anywhere else).
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def _decode(encoded: bytes) -> Any:
    return json.loads(encoded, parse_float=Decimal)
