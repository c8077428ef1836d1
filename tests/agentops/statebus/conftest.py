"""Redis for these tests: the worker's logical db and a key prefix unique to each test."""

from tests.harness.redis_keys import aredis, db_url, prefix, wipe  # noqa: F401
