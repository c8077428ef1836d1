"""Lua scripts of the Redis spend counters (one family sharing a prelude).

KEYS: 1 counter hash {spent, held, calls}, 2 holds zset (score = expiry ms), 3 hold amounts.
ARGV: 1 now in ms ('' = the Redis server clock, shared by every replica), 2 key retention in s,
then per script. Every number handed back to Redis goes through ``int()`` (``%d``): Lua 5.1
would otherwise print large doubles in exponent notation.
"""

from __future__ import annotations

_PRELUDE = """
local function int(n) return string.format('%d', n) end
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function drop_hold(id)
  local amount = redis.call('HGET', KEYS[3], id)
  if amount then redis.call('HINCRBY', KEYS[1], 'held', int(-tonumber(amount))) end
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
end
local function purge(now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', int(now))) do drop_hold(id) end
end
local function usage(reason, ok)
  local v = redis.call('HMGET', KEYS[1], 'spent', 'held', 'calls')
  return {ok, reason, tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0),
          redis.call('ZCARD', KEYS[2])}
end
-- After a change: keep the three keys for the retention period, and answer the counter.
local function changed()
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
  return usage('ok', 1)
end
local now = now_ms()
purge(now)
"""

# ARGV 3 hold id, 4 amount, 5 limit, 6 ttl ms, 7 max calls ('' = none)
RESERVE = (
    _PRELUDE
    + """
if redis.call('ZSCORE', KEYS[2], ARGV[3]) then return usage('ok', 1) end
local u = usage('ok', 1)
local committed, amount = u[3] + u[4], tonumber(ARGV[4])
if committed >= tonumber(ARGV[5]) or committed + amount > tonumber(ARGV[5]) then
  return usage('limit', 0)
end
if ARGV[7] ~= '' and u[5] + u[6] + 1 > tonumber(ARGV[7]) then return usage('calls', 0) end
redis.call('ZADD', KEYS[2], int(now + tonumber(ARGV[6])), ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[1], 'held', ARGV[4])
return changed()
"""
)

# ARGV 3 hold id, 4 real cost
SETTLE = (
    _PRELUDE
    + """
drop_hold(ARGV[3])
redis.call('HINCRBY', KEYS[1], 'spent', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'calls', 1)
return changed()
"""
)

# ARGV 3 hold id
RELEASE = (
    _PRELUDE
    + """
drop_hold(ARGV[3])
return usage('ok', 1)
"""
)

# ARGV 3 spent, 4 calls. Held is recomputed from the live holds, which also heals any drift.
REBUILD = (
    _PRELUDE
    + """
local held = 0
for _, amount in ipairs(redis.call('HVALS', KEYS[3])) do held = held + tonumber(amount) end
redis.call('HSET', KEYS[1], 'spent', ARGV[3], 'calls', ARGV[4], 'held', int(held))
return changed()
"""
)

USAGE = _PRELUDE + "\nreturn usage('ok', 1)\n"
