from tests.fakeprovider.fixtures import fake_provider, fake_provider_thread  # noqa: F401
