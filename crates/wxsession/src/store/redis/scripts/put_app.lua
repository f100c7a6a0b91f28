-- Writes one app's record and logs the change, atomically.
-- KEYS: records, appids, revision, log. ARGV: appid, record, log length.
-- Returns 1 when the app is new, 0 when it was replaced.
local created = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
local rev = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], rev .. '-0', 'appid', ARGV[1])
return created
