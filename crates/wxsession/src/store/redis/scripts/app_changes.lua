-- The changes of the app registry after a revision, each changed app once with its record as
-- it is now (false: deleted).
-- KEYS: records, appids, revision, log. ARGV: the reader's revision.
-- Returns {rev, appid, record, appid, record, ...}, or {-1} when the log no longer reaches
-- back to the reader's revision (it must read the whole registry again).
local rev = tonumber(redis.call('GET', KEYS[3]) or '0')
local after = tonumber(ARGV[1])
if after == rev then
  return {rev}
end
if after > rev then
  return {-1}
end
local entries = redis.call('XRANGE', KEYS[4], '(' .. ARGV[1] .. '-0', '+')
if #entries == 0 or entries[1][1] ~= string.format('%d-0', after + 1) then
  return {-1}
end
local out = {rev}
local seen = {}
for _, entry in ipairs(entries) do
  local appid = entry[2][2]
  if not seen[appid] then
    seen[appid] = true
    out[#out + 1] = appid
    out[#out + 1] = redis.call('HGET', KEYS[1], appid)
  end
end
return out
