"""Parsers of each provider's documented usage/cost export into (UTC day, model, USD) lines.

- ``openai``: the Costs API page (``GET /v1/organization/costs?group_by=line_item``), JSON:
  ``data[].start_time`` (Unix seconds, 1-day buckets) and ``results[].amount.value`` in USD,
  ``line_item`` ``"<model>, <input|output|cached input|…>"``. A list of pages is accepted too.
- ``anthropic``: the Admin API cost report (``GET /v1/organizations/cost_report`` with
  ``group_by[]=description``), JSON: ``data[].starting_at`` and ``results[].amount``, a decimal
  string in cents, with ``model`` (and ``currency`` ``USD``).
- ``bedrock``: an AWS Cost and Usage Report excerpt, CSV, legacy (``lineItem/UsageStartDate``)
  or CUR 2.0 (``line_item_usage_start_date``) column names; rows of product ``AmazonBedrock``;
  the model is read from the usage type (``USE1-Claude3.5Haiku-input-tokens``).

Money is parsed as Decimal from the file's text (JSON numbers included), never through float.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

CENTS = Decimal(100)


class BillFormatError(ValueError):
    """The file is not the export it was said to be; the message says what is wrong."""


@dataclass(frozen=True)
class BillLine:
    day: date
    model: str
    cost_usd: Decimal


def parse_bill(provider: str, text: str) -> list[BillLine]:
    parser = PROVIDERS.get(provider)
    if parser is None:
        raise BillFormatError(f"unknown provider {provider!r}: one of {', '.join(PROVIDERS)}")
    try:
        return list(parser(text))
    except (KeyError, TypeError, IndexError, InvalidOperation, AttributeError) as exc:
        raise BillFormatError(f"not a {provider} export: {type(exc).__name__} {exc}") from None


def _json(text: str, provider: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise BillFormatError(f"not a {provider} export: invalid JSON ({exc.msg})") from None


def _pages(doc: Any, provider: str) -> list[dict[str, Any]]:
    pages = doc if isinstance(doc, list) else [doc]
    if not pages or not all(isinstance(p, dict) and isinstance(p.get("data"), list) for p in pages):
        raise BillFormatError(f"not a {provider} export: expected a page with a 'data' list")
    return pages


def _openai(text: str) -> Iterator[BillLine]:
    for page in _pages(_json(text, "openai"), "openai"):
        for bucket in page["data"]:
            day = datetime.fromtimestamp(int(bucket["start_time"]), UTC).date()
            for result in bucket["results"]:
                amount = result["amount"]
                _usd(str(amount.get("currency", "usd")), "openai")
                item = result.get("line_item") or ""
                model = item.split(",", 1)[0].strip() if item else ""
                yield BillLine(day, model, Decimal(str(amount["value"])))


def _anthropic(text: str) -> Iterator[BillLine]:
    for page in _pages(_json(text, "anthropic"), "anthropic"):
        for bucket in page["data"]:
            day = datetime.fromisoformat(bucket["starting_at"].replace("Z", "+00:00"))
            for result in bucket["results"]:
                _usd(str(result.get("currency", "USD")), "anthropic")
                cents = Decimal(str(result["amount"]))
                yield BillLine(day.astimezone(UTC).date(), result.get("model") or "", cents / CENTS)


_CUR_COLUMNS = {
    "start": ("lineItem/UsageStartDate", "line_item_usage_start_date"),
    "product": ("lineItem/ProductCode", "line_item_product_code"),
    "usage_type": ("lineItem/UsageType", "line_item_usage_type"),
    "cost": ("lineItem/UnblendedCost", "line_item_unblended_cost"),
    "currency": ("lineItem/CurrencyCode", "line_item_currency_code"),
}
# USE1-Claude3.5Haiku-input-tokens, USW2-MetaLlama3-70B-output-tokens, …-cache-read-input-token-count
_USAGE_TYPE = re.compile(
    r"^(?:[A-Z]{2,4}\d?-)?(?P<model>.+?)-(?:cache-\w+-)?(?:input|output)-token"
)


def _bedrock(text: str) -> Iterator[BillLine]:
    rows = csv.DictReader(io.StringIO(text))
    header = rows.fieldnames or []
    names = {key: next((c for c in options if c in header), None)
             for key, options in _CUR_COLUMNS.items()}  # fmt: skip
    missing = [key for key in ("start", "product", "usage_type", "cost") if names[key] is None]
    if missing:
        raise BillFormatError(f"not an AWS CUR file: no column for {', '.join(missing)}")
    col: Callable[[dict[str, str], str], str] = lambda row, key: row[names[key] or ""]  # noqa: E731
    for row in rows:
        if col(row, "product") != "AmazonBedrock":
            continue
        if names["currency"] is not None:
            _usd(col(row, "currency"), "bedrock")
        match = _USAGE_TYPE.match(col(row, "usage_type"))
        model = match.group("model") if match else col(row, "usage_type")
        start = datetime.fromisoformat(col(row, "start").replace("Z", "+00:00"))
        day = (start.astimezone(UTC) if start.tzinfo else start).date()
        yield BillLine(day, model, Decimal(col(row, "cost")))


def _usd(currency: str, provider: str) -> None:
    if currency.upper() != "USD":
        raise BillFormatError(f"{provider} export in {currency}: only USD bills are compared")


PROVIDERS: dict[str, Callable[[str], Iterator[BillLine]]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "bedrock": _bedrock,
}
