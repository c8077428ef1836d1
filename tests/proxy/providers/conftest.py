from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeprovider.fixtures import fake_provider, fake_provider_thread  # noqa: F401
from tests.fakeprovider.server import FakeProvider, run_fake_provider_in_thread
from tests.proxy.providers.samples import Sample, capture_all


@pytest.fixture(scope="session")
def samples() -> dict[str, Sample]:
    with run_fake_provider_in_thread() as provider:
        return capture_all(provider.url)


@pytest.fixture(scope="session")
def session_provider() -> Iterator[FakeProvider]:
    with run_fake_provider_in_thread() as provider:
        yield provider
