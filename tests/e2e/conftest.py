"""Feature-level suites: the real control plane, proxies and fake provider, wired end to end."""

from tests.control_plane.conftest import client, cp_settings, running_url, signup  # noqa: F401
