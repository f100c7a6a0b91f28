-- Compare-and-delete of an app's access_token: deletes KEYS[1] only if it still holds ARGV[1],
-- and remembers ARGV[1] as dead in KEYS[2] for ARGV[2] seconds (both keys share a hash slot).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
  return 1
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 0
