-- Replaces one app's record only if it is still the expected one, and logs the change.
-- KEYS: records, appids, revision, log. ARGV: appid, expected record, new record, log length.
-- Returns 1 when replaced, 0 when the record changed (or went) in between.
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
local rev = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], rev .. '-0', 'appid', ARGV[1])
return 1
