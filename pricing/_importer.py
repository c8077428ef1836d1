"""Build a PriceTable from either the community JSON table or our own format."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pricing._codec import FORMAT, PriceFormatError, model_from_dict, model_to_dict
from pricing._community import convert_community, is_community_table
from pricing._resellers import direct_aliases, direct_entries
from pricing._retired import retired_aliases, retired_entries
from pricing._table import PriceTable, content_version, parse_json

COMMUNITY_SOURCE = {
    "name": "LiteLLM model_prices_and_context_window.json",
    "url": "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json",
    "license": "MIT",
}


def import_table(
    source: str | bytes | Mapping[str, Any],
    *,
    effective_date: str | None = None,
    previous: PriceTable | None = None,
) -> PriceTable:
    """Parse and validate a price document in either format.

    Community documents get a version `<effective_date>.<content hash>`; `effective_date`
    defaults to today (UTC). With `previous`, unchanged models keep their earlier effective
    date, and an unchanged table keeps its earlier version.
    """
    data = parse_json(source) if isinstance(source, str | bytes) else source
    if not isinstance(data, Mapping):
        raise PriceFormatError("a price document is a JSON object")
    if data.get("format") == FORMAT:
        return PriceTable.from_dict(data)
    if is_community_table(data):
        date = effective_date or datetime.datetime.now(datetime.UTC).date().isoformat()
        return derive_table(data, date, previous=previous)
    raise PriceFormatError(f"neither an {FORMAT} document nor a LiteLLM-style price table")


def derive_table(
    community: Mapping[str, Any], effective_date: str, *, previous: PriceTable | None = None
) -> PriceTable:
    models, aliases = convert_community(community, effective_date)
    models |= direct_entries(models)
    models |= retired_entries(models, effective_date)
    aliases |= direct_aliases(models, aliases)
    aliases |= retired_aliases(models, aliases)
    digest = content_version(_without_dates(models), aliases, "")
    if previous is not None:
        _keep_dates(models, previous)
        if previous.version.endswith(f".{digest}") and previous.effective_date:
            effective_date = previous.effective_date
    data = {
        "format": FORMAT,
        "format_version": 1,
        "version": f"{effective_date}.{digest}",
        "effective_date": effective_date,
        "source": COMMUNITY_SOURCE,
        "aliases": aliases,
        "models": models,
    }
    return PriceTable.from_dict(data)


def _without_dates(models: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {k: {f: v for f, v in m.items() if f != "effective_date"} for k, m in models.items()}


def _keep_dates(models: dict[str, dict[str, Any]], previous: PriceTable) -> None:
    for key, entry in models.items():
        old = previous.get(key)
        if old is None:
            continue
        old_entry = model_to_dict(old)
        if old_entry["rates"] == model_to_dict(model_from_dict(key, entry))["rates"]:
            entry["effective_date"] = old.effective_date
