-- The entries of users and persons in bucket hashes (the layout is described in `layout/`).
-- PACKED, MAX_TEXT, MARKER, WRITES and NEWEST come from a prelude that `layout::entry_script`
-- writes from the Rust constants: the blob tags and the entry formats are declared once.
-- KEYS[1] is the bucket, ARGV[1] the operation, ARGV[2] the entry's field, ARGV[3] the life of
-- an entry in seconds (dead that long after its last write), ARGV[4] the caller's clock (unix
-- seconds: the replicas' clocks decide deadness when they read, so they do when they write;
-- `TIME` costs a tenth of a login's script). Integers are big-endian.
local bucket, op, field, life, now = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

local function u32(n) return struct.pack('>I4', n) end
local function read_u32(s, at) return (struct.unpack('>I4', s, at)) end
-- The position after the blob that starts at `at` (see `Blob` in layout/blob.rs).
local function after_blob(s, at)
  local tag = string.byte(s, at)
  local packed = PACKED[tag]
  if packed then return at + 1 + packed end
  if tag > MAX_TEXT then error('unknown blob tag ' .. tag) end
  return at + 1 + tag
end
-- Where an entry's `u32` of its last write starts: after the format header, if any (see
-- layout/format.rs). An entry of a format newer than this replica reads is never rewritten.
local function readable(entry)
  return string.byte(entry, 1) ~= MARKER or (string.byte(entry, 2) or 0) <= NEWEST
end
local function base(entry)
  if not readable(entry) then error('an entry of a newer format than this release reads') end
  if string.byte(entry, 1) == MARKER then return 3 end
  return 1
end
local HEADER = ''
if WRITES > 0 then HEADER = string.char(MARKER, WRITES) end
local function alive(entry)
  return entry and #entry >= 4 and #entry >= base(entry) + 3 and read_u32(entry, base(entry)) + life > now
end
-- The entry, or nil when it is absent or dead.
local function load()
  local entry = redis.call('HGET', bucket, field)
  if alive(entry) then return entry end
  return nil
end
-- Writes the entry and keeps the bucket `life` from now. A new entry (none, or a dead one
-- replaced) also drops the dead among two random others: every entry dies once, after it was
-- created, so two looks per creation keep the dead about as many as the live at most.
local function store(body, created)
  redis.call('HSET', bucket, field, HEADER .. u32(now) .. body)
  redis.call('EXPIRE', bucket, life)
  if not created then return end
  local sample = redis.call('HRANDFIELD', bucket, 2, 'WITHVALUES')
  for i = 1, #sample, 2 do
    if sample[i] ~= field and readable(sample[i + 1]) and not alive(sample[i + 1]) then
      redis.call('HDEL', bucket, sample[i])
    end
  end
end

-- A user entry as its keys and its sessions ({id, born}, oldest first).
local function parse_user(entry)
  if not entry then return string.char(0), string.char(0), {} end
  local k0_at = base(entry) + 4
  local k1_at = after_blob(entry, k0_at)
  local s_at = after_blob(entry, k1_at)
  local k0, k1 = string.sub(entry, k0_at, k1_at - 1), string.sub(entry, k1_at, s_at - 1)
  local sessions = {}
  for at = s_at, #entry - 19, 20 do
    sessions[#sessions + 1] = {string.sub(entry, at, at + 15), read_u32(entry, at + 16)}
  end
  return k0, k1, sessions
end
local function user_body(k0, k1, sessions)
  local parts = {k0, k1}
  for _, s in ipairs(sessions) do parts[#parts + 1] = s[1] .. u32(s[2]) end
  return table.concat(parts)
end
-- A new newest key pushes the newest so far to previous; an empty one leaves both as they are.
local function rotate(k0, k1, key)
  if key == '' then return k0, k1 end
  if k0 ~= key and k0 ~= string.char(0) then return key, k0 end
  return key, k1
end

if op == 'register' then
  -- ARGV[5] the login's key blob ('' for none), ARGV[6] the session id (16 bytes), ARGV[7] its
  -- creation time, ARGV[8] the most sessions. Sessions past their lifetime are dropped; over
  -- the bound, the ids of the others are returned, oldest first, for the caller to check
  -- which are still alive (their keys live in other slots) and call `evict`.
  local entry = load()
  local k0, k1, old = parse_user(entry)
  k0, k1 = rotate(k0, k1, ARGV[5])
  local sessions = {}
  for _, s in ipairs(old) do
    if s[2] + life > now and s[1] ~= ARGV[6] then sessions[#sessions + 1] = s end
  end
  local born = tonumber(ARGV[7])
  if born + life > now then sessions[#sessions + 1] = {ARGV[6], born} end
  store(user_body(k0, k1, sessions), entry == nil)
  if #sessions <= tonumber(ARGV[8]) then return {} end
  local others = {}
  for _, s in ipairs(sessions) do
    if s[1] ~= ARGV[6] then others[#others + 1] = s[1] end
  end
  return others
elseif op == 'evict' then
  -- ARGV[5] the most sessions, ARGV[6] the new session, ARGV[7..] sessions found dead: drops
  -- those, then the oldest others while over the bound; returns the evicted ids.
  local entry = load()
  if not entry then return {} end
  local k0, k1, old = parse_user(entry)
  local dead = {}
  for i = 7, #ARGV do dead[ARGV[i]] = true end
  local sessions = {}
  for _, s in ipairs(old) do
    if not dead[s[1]] then sessions[#sessions + 1] = s end
  end
  local evicted, kept = {}, {}
  local excess = #sessions - tonumber(ARGV[5])
  for _, s in ipairs(sessions) do
    if excess > 0 and s[1] ~= ARGV[6] then
      evicted[#evicted + 1] = s[1]
      excess = excess - 1
    else
      kept[#kept + 1] = s
    end
  end
  store(user_body(k0, k1, kept), false)
  return evicted
elseif op == 'unlist' then
  -- ARGV[5] a session id: removes it from the entry, which keeps its last write.
  local entry = load()
  if not entry then return 0 end
  local k0, k1, old = parse_user(entry)
  local sessions = {}
  for _, s in ipairs(old) do
    if s[1] ~= ARGV[5] then sessions[#sessions + 1] = s end
  end
  if #sessions == #old then return 0 end
  redis.call('HSET', bucket, field, string.sub(entry, 1, base(entry) + 3) .. user_body(k0, k1, sessions))
  return 1
elseif op == 'take' then
  -- Takes the entry away and returns it: a login that registers after this starts a fresh
  -- entry that a later revoke reaches.
  local entry = redis.call('HGET', bucket, field)
  redis.call('HDEL', bucket, field)
  return entry
elseif op == 'rotate' then
  -- ARGV[5] a key blob: the newest key, the newest so far the previous; no session added.
  local entry = load()
  local k0, k1, sessions = parse_user(entry)
  k0, k1 = rotate(k0, k1, ARGV[5])
  store(user_body(k0, k1, sessions), entry == nil)
  return 1
elseif op == 'prune' then
  -- ARGV[5..] other fields of the bucket that a creation without this script sampled as dead:
  -- drops those still dead (a login may have replaced one since).
  local dropped = 0
  for i = 5, #ARGV do
    local entry = redis.call('HGET', bucket, ARGV[i])
    if entry and readable(entry) and not alive(entry) then
      redis.call('HDEL', bucket, ARGV[i])
      dropped = dropped + 1
    end
  end
  return dropped
elseif op == 'link' then
  -- A person's entry. ARGV[5] the account (appid and openid blobs), ARGV[6] its last login:
  -- replaces the account's earlier record and drops accounts not seen for `life`.
  local entry = load()
  local parts = {}
  if entry then
    local at = base(entry) + 4
    while at <= #entry do
      local stop = after_blob(entry, after_blob(entry, at))
      local account, last = string.sub(entry, at, stop - 1), read_u32(entry, stop)
      if account ~= ARGV[5] and last + life > now then
        parts[#parts + 1] = account .. u32(last)
      end
      at = stop + 4
    end
  end
  parts[#parts + 1] = ARGV[5] .. u32(tonumber(ARGV[6]))
  store(table.concat(parts), entry == nil)
  return 1
end
return redis.error_reply('unknown entry operation ' .. tostring(op))
