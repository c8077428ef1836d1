"""The rule every versioned publish to Redis follows, written once as a Lua frame.

An org's data is stored only when its version is newer than the one recorded, so a slow
publisher cannot store an older version over a newer one; the version is then recorded in the
index and announced, so a listener never hears of a version that was not stored. Versions
compare as Lua numbers (doubles): exact up to 2**53.

KEYS[2] is the index hash (org -> version). ARGV: 1 org, 2 version, 3 channel, 4 announcement;
the script's own arguments follow from 5. The script answers 1 when it stored, 0 when not.
"""

from __future__ import annotations

_NEWER_ONLY = """
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and tonumber(current) >= tonumber(ARGV[2]) then
  return 0
end
"""
_RECORD_AND_ANNOUNCE = """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"""


def versioned_publish(store: str) -> str:
    """A publish script: ``store`` (Lua) runs only for a newer version, then it is announced."""
    return _NEWER_ONLY + store + _RECORD_AND_ANNOUNCE
