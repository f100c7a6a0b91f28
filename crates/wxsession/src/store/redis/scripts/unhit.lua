-- Takes one back from a counter that still exists; never creates one (it would have no TTL).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
