"""``release_free_memory`` hands freed heap pages back to the system, on glibc's malloc and on
jemalloc (the image's allocator) where this machine has it: a fresh process frees 64 MiB of
malloc'd blocks it holds behind one live block (so glibc cannot trim them from the top of its
heap, and jemalloc is told never to purge on its own), and its resident set drops by most of
them only once the function runs."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

_CHILD = """
import json
from agentops.heap import release_free_memory

def rss_mib():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024

blocks = [bytes(4000) + bytes([i % 256]) for i in range(16_000)]  # > 512 B: malloc, not pymalloc
keep = bytes(4000) + b"top"  # allocated last: the freed blocks lie below it
held = rss_mib()
del blocks
freed = rss_mib()
release_free_memory()
print(json.dumps({"held": held, "freed": freed, "released": rss_mib()}))
"""

_ALLOCATORS: dict[str, dict[str, str]] = {"glibc": {}}
if ctypes.util.find_library("jemalloc"):
    _ALLOCATORS["jemalloc"] = {
        "LD_PRELOAD": "libjemalloc.so.2",
        "MALLOC_CONF": "narenas:2,dirty_decay_ms:-1,muzzy_decay_ms:-1",
    }


@pytest.mark.parametrize("allocator", sorted(_ALLOCATORS))
def test_freed_pages_go_back_to_the_system(allocator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _ALLOCATORS[allocator].items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
    ).stdout
    rss = json.loads(out)
    assert rss["freed"] - rss["released"] > 32, rss  # of the ~62 MiB freed
