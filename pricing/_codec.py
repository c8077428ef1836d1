"""Our price-table format (JSON) <-> model records.

```
{"format": "agentops-prices", "format_version": 1, "version": "...", "effective_date": "...",
 "unit": "...", "source": {...}, "aliases": {"alias": "key"},
 "models": {"gpt-4o": {"provider": "openai", "mode": "chat", "effective_date": "2025-01-01",
            "max_input_tokens": 128000, "max_output_tokens": 16384,
            "rates": {"standard": [{"above": 0, "input": "2.5", "output": "10"}],
                      "batch": [{"above": 0, "input": "1.25", "output": "5"}]}}}}
```
Rates are decimal strings in USD per million tokens (`request`: USD per request). A rate set
with `above: N` applies when the call's input tokens exceed N.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pricing._community import decimal_text
from pricing._types import RATE_CLASSES, SERVICE_TIERS, ModelPrice, RateSet, decimal_of

FORMAT = "agentops-prices"
FORMAT_VERSION = 1
UNIT = "USD per 1M tokens as decimal strings; 'request' is USD per request"


class PriceFormatError(ValueError):
    """A price file that is not in a format we read, or carries an invalid value."""


def model_from_dict(key: str, data: Mapping[str, Any]) -> ModelPrice:
    rates_data = data.get("rates")
    if not isinstance(rates_data, Mapping) or "standard" not in rates_data:
        raise PriceFormatError(f"{key}: 'rates.standard' is required")
    rates: dict[str, tuple[RateSet, ...]] = {}
    for tier, sets in rates_data.items():
        if tier not in SERVICE_TIERS or not isinstance(sets, list):
            raise PriceFormatError(f"{key}: unknown service tier or not a list: {tier!r}")
        rates[tier] = tuple(sorted((_rate_set(key, s) for s in sets), key=lambda r: r.above))
    return ModelPrice(
        key=key,
        provider=str(data.get("provider") or "unknown"),
        mode=str(data.get("mode") or "chat"),
        effective_date=str(data.get("effective_date") or ""),
        rates=rates,
        max_input_tokens=_optional_int(data.get("max_input_tokens")),
        max_output_tokens=_optional_int(data.get("max_output_tokens")),
    )


def model_to_dict(model: ModelPrice) -> dict[str, Any]:
    result: dict[str, Any] = {
        "provider": model.provider,
        "mode": model.mode,
        "effective_date": model.effective_date,
    }
    if model.max_input_tokens is not None:
        result["max_input_tokens"] = model.max_input_tokens
    if model.max_output_tokens is not None:
        result["max_output_tokens"] = model.max_output_tokens
    result["rates"] = {
        tier: [
            {"above": r.above, **{c: decimal_text(v) for c, v in r.published().items()}}
            for r in model.rates[tier]
        ]
        for tier in model.tiers()
    }
    return result


def _rate_set(key: str, data: Any) -> RateSet:
    if not isinstance(data, Mapping):
        raise PriceFormatError(f"{key}: a rate set must be an object")
    unknown = set(data) - {"above", *RATE_CLASSES}
    if unknown:
        raise PriceFormatError(f"{key}: unknown rate classes {sorted(unknown)}")
    values: dict[str, Decimal] = {}
    for rate_class in RATE_CLASSES:
        if rate_class in data:
            values[rate_class] = _price(key, data[rate_class])
    return RateSet(above=_optional_int(data.get("above")) or 0, **values)


def _price(key: str, value: Any) -> Decimal:
    if not isinstance(value, str | Decimal | int) or isinstance(value, bool):
        raise PriceFormatError(f"{key}: prices are decimal strings, got {value!r}")
    try:
        price = decimal_of(str(value))
    except InvalidOperation as exc:
        raise PriceFormatError(f"{key}: not a decimal: {value!r}") from exc
    if not price.is_finite() or price < 0:
        raise PriceFormatError(f"{key}: price must be finite and >= 0: {value!r}")
    return price


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PriceFormatError(f"expected an integer, got {value!r}")
    return value
