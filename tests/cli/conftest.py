"""The CLI against the real API (control-plane fixtures) and the bundled price table."""

from tests.control_plane.conftest import client, cp_settings, running_url, signup  # noqa: F401
from tests.pricing.conftest import table  # noqa: F401
