/**
 * Lua scripts run atomically on Redis. Times come from Redis' own `TIME`, so the processes of a
 * fleet share one clock.
 *
 * @internal
 */

/** Deletes KEYS[1] only if it holds exactly ARGV[1] (a key of another type is left alone). @internal */
export const compareAndDelete = `
local v = redis.pcall("GET", KEYS[1])
if type(v) == "string" and v == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
`

/**
 * A fixed window as `@effect/experimental`'s memory store keeps it: a count and the window's
 * start; the window expires at start + count * refill (refill in fractional ms, so a window
 * shorter in ms than the limit works). ARGV: tokens, refill ms, limit (-1: none).
 * Returns { count, ttl ms }.
 *
 * @internal
 */
export const fixedWindow = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local count = 0
local start = now
local v = redis.call("HMGET", KEYS[1], "c", "s")
if v[1] and v[2] then
  count = tonumber(v[1])
  start = tonumber(v[2])
  if start + count * refill <= now then
    count = 0
    start = now
  end
end
if limit >= 0 and count + tokens > limit then
  return { count + tokens, math.ceil(start + count * refill - now) }
end
count = count + tokens
local expiresAt = start + count * refill
redis.call("HSET", KEYS[1], "c", count, "s", start)
redis.call("PEXPIREAT", KEYS[1], math.ceil(expiresAt))
return { count, math.ceil(expiresAt - now) }
`

/**
 * A token bucket as `@effect/experimental`'s memory store keeps it. ARGV: tokens, limit, refill ms,
 * allow overflow (1/0). Returns the remaining tokens after taking (negative: refused, or owed
 * with overflow).
 *
 * @internal
 */
export const tokenBucket = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local take = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local overflow = ARGV[4] == "1"
local v = redis.call("HMGET", KEYS[1], "t", "l")
local tokens = limit
local last = now
if v[1] and v[2] then
  tokens = tonumber(v[1])
  last = tonumber(v[2])
  local add = math.floor((now - last) / refill)
  if add > 0 then
    tokens = math.min(limit, tokens + add)
    last = last + add * refill
  end
end
local after = tokens - take
if overflow or after >= 0 then
  tokens = after
end
redis.call("HSET", KEYS[1], "t", tokens, "l", last)
redis.call("PEXPIRE", KEYS[1], math.max(1, math.ceil((limit - tokens) * refill)) + 1000)
return after
`
