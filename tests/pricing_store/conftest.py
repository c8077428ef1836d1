"""Pricing-store fixtures: a migrated store (both engines) with an org, a team and an agent
(from the ingest suite), and the real app on PostgreSQL (from the control-plane suite)."""

from tests.control_plane.conftest import client, cp_settings, running_url, signup  # noqa: F401
from tests.ingest.conftest import db, org  # noqa: F401
