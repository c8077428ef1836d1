from __future__ import annotations

import pytest

from pricing import PriceTable, load_bundled_table


@pytest.fixture(scope="session")
def table() -> PriceTable:
    return load_bundled_table()
