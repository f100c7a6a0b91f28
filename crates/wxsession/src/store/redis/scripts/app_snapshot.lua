-- Every app record and the revision they are at, read at once.
-- KEYS: records, appids, revision, log. Returns {rev, {appid, record, ...}}.
return {tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('HGETALL', KEYS[1])}
