"""Policy tests: the real control-plane app (PostgreSQL + a flushed Redis db) from the
control-plane tests."""

from __future__ import annotations

from tests.control_plane.conftest import client, cp_settings, signup  # noqa: F401
