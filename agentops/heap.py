"""Garbage-collector settings for the long-running processes (serve, proxy, up).

CPython's cyclic collector runs a young collection every 700 net allocations and, every so
often, a full one that walks every object in the process: the imported modules, SQLAlchemy's
tables and compiled statements, pydantic's schemas, mitmproxy's addons. An ingest batch of 500
records allocates far more than 700 objects, so collections ran many times per batch, and the
full ones walked tens of thousands of objects that live as long as the process (3.4 s of a
60,000-record ingest run was the collector). So, once start-up is done:

- ``gc.freeze()`` moves everything alive into the permanent generation, out of every scan;
- the young threshold goes up to ``YOUNG_THRESHOLD`` allocations, so collections are rarer,
  each over a young generation that is still small.

Reference counting frees almost everything as before; only cyclic garbage waits a little
longer. Only processes we own call this (the CLI's long-running commands), never the tests:
a frozen test process would keep every test's cycles.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Call once the process's long-lived objects exist (services started)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
