-- Deletes one app's record and logs the change, atomically.
-- KEYS: records, appids, revision, log. ARGV: appid, log length.
-- Returns 1 when the app existed.
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
local rev = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], rev .. '-0', 'appid', ARGV[1])
return 1
