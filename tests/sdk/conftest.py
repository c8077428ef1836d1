"""SDK tests: the real proxy (tagging) and the real control plane in a thread (reporting)."""

from tests.control_plane.conftest import cp_settings as cp_settings
from tests.control_plane.conftest import running_url as running_url
from tests.fakeprovider.fixtures import fake_provider as fake_provider
from tests.proxy.conftest import _no_ambient_proxy as _no_ambient_proxy
from tests.proxy.conftest import proxy_settings as proxy_settings
from tests.proxy.conftest import start_proxy as start_proxy
