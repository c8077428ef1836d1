"""Templates and the filters they use: money never shown as $0 when unpriced, times in the
org's time zone, numbers with separators."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

STATIC_PREFIX = "/static/console"
_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("control_plane.console", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(money=money, num=num, ms=ms, pct=pct, when=when, as_json=as_json)
    env.globals.update(static=STATIC_PREFIX, next_link=next_link)


def money(value: Decimal | None, unpriced: int = 0) -> str:
    """Dollars, exact to the micro-dollar below $1; an unpriced figure is never "$0"."""
    if value is None:
        return "unpriced"
    amount = value.quantize(_CENT) if abs(value) >= 1 else value.quantize(_MICRO).normalize()
    text = f"${amount:,.2f}" if abs(value) >= 1 else f"${amount:f}"
    if unpriced:
        return f"{text} + {unpriced:,} unpriced"
    return text


def num(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def pct(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{float(value):.1f}%"


def when(value: datetime | None, tz: str = "UTC") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def as_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, safe against ``</script>``."""
    text = json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))  # escaped above


def next_link(filters: dict[str, str], cursor: str) -> str:
    """The same listing's next page: its filters, the new cursor (keyset pagination)."""
    return "?" + urlencode({k: v for k, v in filters.items() if k != "cursor"} | {"cursor": cursor})
