-- A lock is released only by its owner: KEYS[1] the lock, ARGV[1] the owner that took it.
-- A lock that outlived its TTL and was taken by another replica is that replica's; an older
-- release's lock (value "1") is left to its TTL.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
