"""Pytest fixtures for the fake provider. Import them into a conftest::

from tests.fakeprovider.fixtures import fake_provider, fake_provider_thread  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakeprovider.server import FakeProvider, run_fake_provider_in_thread, start_fake_provider


@pytest.fixture
async def fake_provider() -> AsyncIterator[FakeProvider]:
    provider = await start_fake_provider()
    try:
        yield provider
    finally:
        await provider.stop()


@pytest.fixture
def fake_provider_thread() -> Iterator[FakeProvider]:
    """The fake provider on its own loop and thread, for synchronous tests (sync SDK clients)."""
    with run_fake_provider_in_thread() as provider:
        yield provider
