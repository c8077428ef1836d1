"""Fault scenarios: each drives real processes and prints its figures; the session summary
(``tests/conftest.py``) lists them all: the figures docs/reliability.md quotes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import OwnRedis, figures_dir


@pytest.fixture
def figures_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return figures_dir(tmp_path_factory.getbasetemp())


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
