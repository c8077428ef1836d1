"""Money as text: exact decimal with the store's 10 places, never exponent notation.

``str(Decimal(0).quantize(Decimal("1E-10")))`` is ``"0E-10"``, which spreadsheets, JSON
consumers and cost tools read as text or reject. Every place money leaves the product as text
(JSON, CSV, FOCUS, CLI tables) goes through :func:`money_text`.
"""

from __future__ import annotations

from decimal import Decimal

MONEY_PLACES = 10
QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)


def money_text(value: Decimal) -> str:
    """``Decimal("0")`` -> ``"0.0000000000"``; ``Decimal("1.5")`` -> ``"1.5000000000"``."""
    return format(value.quantize(QUANTUM), "f")
