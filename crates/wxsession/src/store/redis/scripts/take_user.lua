-- Takes the user's hash away atomically and returns its fields: a login whose registration
-- lands after this starts a fresh hash that a later revoke reaches.
local fields = redis.call('HKEYS', KEYS[1])
redis.call('DEL', KEYS[1])
return fields
