"""CLI tests: the real control plane in a thread (from tests/control_plane)."""

from tests.control_plane.conftest import running_url as running_url
