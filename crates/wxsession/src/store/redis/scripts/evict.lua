-- Drops the fields ARGV[3..] (sessions found dead), then, while more than ARGV[1] sessions
-- remain, the oldest ones other than ARGV[2] (the new session); returns the evicted fields,
-- whose session keys the caller deletes.
for i = 3, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 's:' and all[i] ~= ARGV[2] then
    local born = tonumber(all[i + 1]) or 0
    if born < 100000000000 then born = born * 1000 end
    live[#live + 1] = {all[i], born}
  end
end
local excess = #live + 1 - tonumber(ARGV[1])
if excess <= 0 then
  return {}
end
table.sort(live, function(a, b) return a[2] < b[2] end)
local evicted = {}
for i = 1, excess do
  redis.call('HDEL', KEYS[1], live[i][1])
  evicted[i] = live[i][1]
end
return evicted
