"""A migrated store (both engines) with an org, a team and an agent, written straight to the store."""

from tests.harness.store_org import db, org  # noqa: F401
