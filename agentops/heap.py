"""Garbage-collector and allocator settings for the long-running processes (serve, proxy, up).

CPython's cyclic collector runs a young collection every 700 net allocations and, every so
often, a full one that walks every object in the process: the imported modules, SQLAlchemy's
tables and compiled statements, pydantic's schemas, mitmproxy's addons. An ingest batch of 500
records allocates far more than 700 objects, so collections ran many times per batch, and the
full ones walked tens of thousands of objects that live as long as the process (3.4 s of a
60,000-record ingest run was the collector). So, once start-up is done:

- ``gc.freeze()`` moves everything alive into the permanent generation, out of every scan;
- the control plane (``serve``) also raises the young threshold to ``INGEST_YOUNG_THRESHOLD``
  allocations, so collections are rarer, each over a young generation that is still small.

The proxy keeps CPython's young threshold: a young collection at 20,000 walks ~30 calls' worth
of objects in one go, a pause every call in flight waits for (issue 19 measured p99 at
concurrency 1 of 7 ms with it against 2.1 ms with the freeze alone). A call's objects are
freed by reference counting, so in the benchmark no collection ran at all with either setting
(docs/benchmarks.md); the default bounds the pause whenever cyclic garbage does build up. Only processes we own call this (the CLI's long-running
commands), never the tests: a frozen test process would keep every test's cycles.
"""

from __future__ import annotations

import ctypes
import gc

INGEST_YOUNG_THRESHOLD = 20_000
# glibc's malloc gives each thread that allocates an arena of its own, up to 8 per core; memory
# freed in one arena serves only that arena's threads. The proxy's threads (the default
# executor's warm-up, the spool's fsync, uvloop's resolver workers) allocate little: two arenas
# kept its resident set ~2.5 MiB lower over a soak at concurrency 16, same calls/s.
PROXY_MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h
_JEMALLOC_PURGE_ALL = b"arena.4096.purge"  # mallctl name; 4096 is MALLCTL_ARENAS_ALL


def limit_malloc_arenas(arenas: int) -> None:
    """Call before the process starts threads (arenas already made stay). Elsewhere than glibc
    (an environment's ``MALLOC_ARENA_MAX`` is set the same way) there is nothing to do."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(_M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    """Hand the pages the allocator holds free back to the system now. Start-up peaks and then
    frees: the tokenizer encodings are built from ~300,000 transient Python objects, and
    jemalloc (the image's allocator) returns freed pages only as later allocations tick its
    decay clock, glibc only from the top of its heap. On jemalloc: purge every arena; on glibc:
    ``malloc_trim``. It walks the allocator's free lists once, so only at start-up."""
    process = ctypes.CDLL(None)  # the allocator in use: jemalloc when preloaded, else libc's
    mallctl = getattr(process, "mallctl", None)
    if mallctl is not None:
        mallctl(_JEMALLOC_PURGE_ALL, None, None, None, ctypes.c_size_t(0))
        return
    malloc_trim = getattr(process, "malloc_trim", None)
    if malloc_trim is not None:
        malloc_trim(ctypes.c_size_t(0))


def settle_heap(young_threshold: int | None = None) -> None:
    """Call once the process's long-lived objects exist (services started). ``young_threshold``:
    raise generation 0's threshold to it (throughput over tail latency); None keeps CPython's."""
    gc.collect()
    gc.freeze()
    release_free_memory()
    if young_threshold is not None:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, older, oldest)
