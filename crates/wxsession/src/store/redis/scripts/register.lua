-- Rotates the user's keys and registers the session (field value: its creation time in
-- milliseconds), atomically (one key). When the hash has grown, sessions past their absolute
-- lifetime are pruned; when more than ARGV[5] sessions remain, their fields and creation times
-- are returned so that the caller can check which are still alive (their keys live in other
-- cluster slots) and call `EVICT`.
-- An empty ARGV[1] is a login without a session_key (mobile and web apps): keys stay as they are.
local cur = redis.call('HGET', KEYS[1], 'k0')
if ARGV[1] == '' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
elseif cur and cur ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'k0', ARGV[1], 'k1', cur, ARGV[2], ARGV[4])
else
  redis.call('HSET', KEYS[1], 'k0', ARGV[1], ARGV[2], ARGV[4])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
if redis.call('HLEN', KEYS[1]) <= 8 and tonumber(ARGV[5]) >= 6 then
  return {}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local life = tonumber(ARGV[3]) * 1000
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 's:' then
    local born = tonumber(all[i + 1]) or 0
    if born < 100000000000 then born = born * 1000 end
    if born + life <= now then
      redis.call('HDEL', KEYS[1], all[i])
    else
      live[#live + 1] = all[i]
      live[#live + 1] = tostring(born)
    end
  end
end
if #live / 2 <= tonumber(ARGV[5]) then
  return {}
end
return live
