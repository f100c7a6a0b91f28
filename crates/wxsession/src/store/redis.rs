//! The Redis store (deadpool-redis). Keys, all with a TTL and all valid on Redis Cluster:
//!
//! - `{prefix}:s:<sha256(token)>` → `deadline|created_at|appid|openid|unionid`
//! - `{prefix}:u:{appid:openid}` → hash `k0` (newest session_key), `k1` (previous)
//! - `{prefix}:us:{appid:openid}` → set of the user's session ids (same hash slot as `u`)
//! - `{prefix}:c:<sha256(appid, code)>` → `p` while exchanging, then the sealed answer

use anyhow::Context as _;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::AsyncCommands as _;

use super::{CodeClaim, NewSession, PENDING, SessionRecord, Store, StoreError, Touched};
use crate::token::SessionId;

/// Rotates the user's keys and registers the session, atomically (both keys share a slot).
const ROTATE: &str = r"
local cur = redis.call('HGET', KEYS[1], 'k0')
if cur and cur ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'k0', ARGV[1], 'k1', cur)
else
  redis.call('HSET', KEYS[1], 'k0', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
";

/// Reads a session and slides its expiry, capped by the deadline in its value, by Redis' clock.
const TOUCH: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local deadline = tonumber(string.match(v, '^(%d+)|')) or 0
local now = tonumber(redis.call('TIME')[1])
local ttl = math.min(tonumber(ARGV[1]), deadline - now)
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('EXPIRE', KEYS[1], ttl)
return {v, ttl}
";

/// A Redis-backed store.
#[derive(Debug, Clone)]
pub struct RedisStore {
    pool: Pool,
    prefix: String,
    max_lifetime_secs: u64,
    rotate: std::sync::Arc<redis::Script>,
    touch: std::sync::Arc<redis::Script>,
}

fn unavailable(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unavailable(err.into())
}

impl RedisStore {
    /// Builds the pool (connections are opened lazily).
    pub fn new(
        url: &str,
        prefix: &str,
        pool_size: usize,
        timeout: std::time::Duration,
        max_lifetime_secs: u64,
    ) -> anyhow::Result<Self> {
        let mut config = Config::from_url(url);
        let mut pool_config = PoolConfig::new(pool_size);
        pool_config.timeouts = Timeouts {
            wait: Some(timeout),
            create: Some(timeout),
            recycle: Some(timeout),
        };
        config.pool = Some(pool_config);
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .context("building the Redis pool")?;
        Ok(Self {
            pool,
            prefix: prefix.to_owned(),
            max_lifetime_secs,
            rotate: std::sync::Arc::new(redis::Script::new(ROTATE)),
            touch: std::sync::Arc::new(redis::Script::new(TOUCH)),
        })
    }

    async fn conn(&self) -> Result<deadpool_redis::Connection, StoreError> {
        self.pool.get().await.map_err(unavailable)
    }

    fn session_key(&self, id: &SessionId) -> String {
        format!("{}:s:{}", self.prefix, id.as_str())
    }

    fn user_keys_of(&self, appid: &str, openid: &str) -> (String, String) {
        (
            format!("{}:u:{{{appid}:{openid}}}", self.prefix),
            format!("{}:us:{{{appid}:{openid}}}", self.prefix),
        )
    }

    fn code_key(&self, code_id: &str) -> String {
        format!("{}:c:{code_id}", self.prefix)
    }
}

#[async_trait::async_trait]
impl Store for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let (user, sessions) = self.user_keys_of(&new.record.appid, &new.record.openid);
        self.rotate
            .key(&user)
            .key(&sessions)
            .arg(new.session_key)
            .arg(new.id.as_str())
            .arg(self.max_lifetime_secs)
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(unavailable)?;
        let ttl = new.idle_ttl_secs.min(self.max_lifetime_secs).max(1);
        conn.set_ex::<_, _, ()>(self.session_key(new.id), new.record.encode(), ttl)
            .await
            .map_err(unavailable)
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        idle_ttl_secs: u64,
    ) -> Result<Option<Touched>, StoreError> {
        let mut conn = self.conn().await?;
        let found: Option<(String, u64)> = self
            .touch
            .key(self.session_key(id))
            .arg(idle_ttl_secs)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(found.and_then(|(value, ttl_secs)| {
            SessionRecord::decode(&value).map(|record| Touched { record, ttl_secs })
        }))
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let value: Option<String> = conn
            .get_del(self.session_key(id))
            .await
            .map_err(unavailable)?;
        let Some(record) = value.as_deref().and_then(SessionRecord::decode) else {
            return Ok(value.is_some());
        };
        let (_, sessions) = self.user_keys_of(&record.appid, &record.openid);
        conn.srem::<_, _, ()>(sessions, id.as_str())
            .await
            .map_err(unavailable)?;
        Ok(true)
    }

    async fn user_keys(&self, appid: &str, openid: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn().await?;
        let (user, _) = self.user_keys_of(appid, openid);
        let keys: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(user)
            .arg("k0")
            .arg("k1")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(keys.into_iter().flatten().collect())
    }

    async fn revoke_user(&self, appid: &str, openid: &str) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let (user, sessions) = self.user_keys_of(appid, openid);
        let ids: Vec<String> = conn.smembers(&sessions).await.map_err(unavailable)?;
        // One DEL per key: valid on a cluster, where the session keys live in other slots.
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.del(self.session_key(&SessionId::from_stored(id.clone())));
        }
        pipe.del(&sessions).ignore().del(&user).ignore();
        let deleted: Vec<u64> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        Ok(deleted.iter().sum())
    }

    async fn claim_code(&self, code_id: &str, lock_ttl_secs: u64) -> Result<CodeClaim, StoreError> {
        let mut conn = self.conn().await?;
        let previous: Option<Vec<u8>> = redis::cmd("SET")
            .arg(self.code_key(code_id))
            .arg(PENDING)
            .arg("NX")
            .arg("GET")
            .arg("EX")
            .arg(lock_ttl_secs)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(match previous {
            None => CodeClaim::Acquired,
            Some(v) if v == PENDING => CodeClaim::Pending,
            Some(v) => CodeClaim::Done(v),
        })
    }

    async fn finish_code(
        &self,
        code_id: &str,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.set_ex(self.code_key(code_id), sealed, ttl_secs)
            .await
            .map_err(unavailable)
    }

    async fn release_code(&self, code_id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.del(self.code_key(code_id)).await.map_err(unavailable)
    }
}
