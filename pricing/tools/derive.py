"""Regenerate pricing/data/prices.json from the community table.

    python -m pricing.tools.derive COMMUNITY_JSON [--out PATH] [--effective-date YYYY-MM-DD]

COMMUNITY_JSON is a copy of LiteLLM's ``model_prices_and_context_window.json`` (the URL is in the
bundled file's ``source``); the repository does not keep one.

Unchanged models keep their effective date from the current bundled file; if nothing changed
the version stays the same. Output: one model per line, sorted, so reviews read as diffs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pricing._codec import PriceFormatError
from pricing._importer import import_table
from pricing._table import PriceTable, parse_json

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "prices.json"


def dumps_table(table: PriceTable) -> str:
    """Stable text: header fields, then one line per alias and per model."""
    data = table.to_dict()
    lines = ["{"]
    for name in ("format", "format_version", "version", "effective_date", "unit", "source"):
        lines.append(f"  {json.dumps(name)}: {_compact(data[name])},")
    lines.append(_block("aliases", data["aliases"]) + ",")
    lines.append(_block("models", data["models"]))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _block(name: str, items: dict[str, Any]) -> str:
    body = ",\n".join(f"    {json.dumps(k)}: {_compact(v)}" for k, v in items.items())
    return f'  "{name}": {{\n{body}\n  }}' if items else f'  "{name}": {{}}'


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", type=Path, help="LiteLLM's model_prices_and_context_window.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--effective-date", default=None, help="YYYY-MM-DD; default today")
    args = parser.parse_args(argv)
    previous = None
    if args.out.exists():
        try:
            previous = PriceTable.from_dict(parse_json(args.out.read_bytes()))
        except PriceFormatError:
            previous = None
    table = import_table(
        args.source.read_bytes(), effective_date=args.effective_date, previous=previous
    )
    args.out.write_text(dumps_table(table), encoding="utf-8")
    print(f"wrote {len(table)} models, version {table.version} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
