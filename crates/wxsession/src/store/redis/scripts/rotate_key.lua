-- Makes ARGV[1] the user's newest session_key and the newest so far the previous one, without
-- registering a session; the hash keeps ARGV[2] seconds.
local cur = redis.call('HGET', KEYS[1], 'k0')
if cur and cur ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'k0', ARGV[1], 'k1', cur)
else
  redis.call('HSET', KEYS[1], 'k0', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
