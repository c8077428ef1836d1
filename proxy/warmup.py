"""Pay every first-use cost of the request path before the proxy listens.

The proxy serves every call on one event loop, so anything loaded, compiled or imported lazily
by the first call that needs it stalls every call in flight: the tokenizer encodings alone take
0.3-0.5 s (seen as a 270-580 ms delay on the first kill of a fresh proxy, whose refusal record
estimates the prompt). ``warm_up`` runs before the listeners open, in a worker thread so the
admin endpoints and the control-state sync keep running meanwhile.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import time

from pricing import load_bundled_table
from proxy import tokenizer

log = logging.getLogger(__name__)


def _warm() -> None:
    tokenizer.preload()
    load_bundled_table()  # every record names its price version; ~0.1-0.3 s to parse
    _release_freed_memory()


def _release_freed_memory() -> None:
    """The loads above parse ~6 MB of rank files and the price table through transient Python
    objects; glibc keeps the pages they freed. Hand them back to the system (7 MiB of resident
    memory measured). Elsewhere than glibc there is nothing to do."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


async def warm_up() -> float:
    """Load what the request path would otherwise load on first use; returns the seconds taken.
    The caller must have called ``tokenizer.serve()``: counts asked for meanwhile do not wait."""
    started = time.perf_counter()
    await asyncio.to_thread(_warm)
    took = time.perf_counter() - started
    log.info("request path warmed up", extra={"seconds": round(took, 3)})
    return took
