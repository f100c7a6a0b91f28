//! The Redis store. The key layout is in [`keys`], the Lua scripts in `scripts/`, how Redis is
//! reached in [`connection`]; each store trait has its own file.

mod codes;
mod connection;
mod counters;
mod keys;
mod sentinel;
mod sessions;
mod tokens;
mod unions;

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands as _;

pub use self::connection::Topology;
use self::connection::{Conn, Connections};
use self::keys::Keys;
use super::{SessionRecord, Store, StoreError};

/// A Redis-backed store.
#[derive(Debug, Clone)]
pub struct RedisStore {
    connections: Connections,
    keys: Keys,
    max_lifetime_secs: u64,
    scripts: Arc<Scripts>,
}

/// The Lua scripts, each loaded once per connection (`EVALSHA`, `EVAL` on a miss).
#[derive(Debug)]
struct Scripts {
    register: redis::Script,
    evict: redis::Script,
    take_user: redis::Script,
    rotate_key: redis::Script,
    drop_token: redis::Script,
}

fn unavailable(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unavailable(err.into())
}

/// A Redis error as a store error: `OOM` (a write refused at `maxmemory`), alone or inside a
/// pipeline's errors, is `Full`.
fn failed(err: redis::RedisError) -> StoreError {
    let oom = err
        .clone()
        .into_server_errors()
        .is_some_and(|errors| errors.iter().any(|(_, e)| e.code() == "OOM"));
    if oom {
        StoreError::Full
    } else {
        StoreError::Unavailable(err.into())
    }
}

impl RedisStore {
    /// Builds the store; connections are opened lazily. With `pool_size` (standalone only), a
    /// pool of that many connections; without, one shared multiplexed connection, which may
    /// trust `tls_ca` (PEM) for `rediss://`.
    pub fn new(
        topology: Topology<'_>,
        prefix: &str,
        pool_size: Option<usize>,
        timeout: Duration,
        max_lifetime_secs: u64,
        tls_ca: Option<Vec<u8>>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            connections: Connections::open(topology, pool_size, timeout, tls_ca)?,
            keys: Keys::new(prefix),
            max_lifetime_secs,
            scripts: Arc::new(Scripts {
                register: redis::Script::new(include_str!("scripts/register.lua")),
                evict: redis::Script::new(include_str!("scripts/evict.lua")),
                take_user: redis::Script::new(include_str!("scripts/take_user.lua")),
                rotate_key: redis::Script::new(include_str!("scripts/rotate_key.lua")),
                drop_token: redis::Script::new(include_str!("scripts/drop_token.lua")),
            }),
        })
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        self.connections.get().await
    }

    fn decode(&self, value: Option<&str>) -> Option<SessionRecord> {
        value.and_then(|v| SessionRecord::decode(v, self.max_lifetime_secs))
    }

    /// A user over `max` sessions: finds which listed sessions died of idleness, then lets
    /// `EVICT` drop those and the oldest live ones over the bound, and deletes the evicted.
    /// `crowded` is `[field, born, field, born, …]` from `REGISTER`.
    async fn evict(
        &self,
        conn: &mut Conn,
        user: &str,
        new_field: &str,
        crowded: &[String],
        max: u64,
    ) -> Result<(), StoreError> {
        let mut dead = Vec::new();
        for field in crowded.iter().step_by(2).filter(|f| *f != new_field) {
            if self.session_alive(conn, field).await? == Some(false) {
                dead.push(field);
            }
        }
        let evicted: Vec<String> = self
            .scripts
            .evict
            .key(user)
            .arg(max)
            .arg(new_field)
            .arg(dead)
            .invoke_async(conn)
            .await
            .map_err(failed)?;
        self.delete_sessions(conn, &evicted).await.map(|_| ())
    }

    /// Whether the session of a user-hash field `s:<id>` exists (`None` for the other fields).
    /// One `EXISTS` per session: their keys live in other cluster slots.
    async fn session_alive(
        &self,
        conn: &mut Conn,
        field: &str,
    ) -> Result<Option<bool>, StoreError> {
        let Some(key) = self.keys.session_of_field(field) else {
            return Ok(None);
        };
        conn.exists::<_, bool>(key).await.map(Some).map_err(failed)
    }

    /// Deletes the sessions of `s:<id>` fields (other fields are skipped); how many existed.
    /// One DEL per key, not one pipeline: the session keys live in other cluster slots. On a
    /// multiplexed connection the commands still share round trips.
    async fn delete_sessions(&self, conn: &mut Conn, fields: &[String]) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for key in fields.iter().filter_map(|f| self.keys.session_of_field(f)) {
            deleted += conn.del::<_, u64>(key).await.map_err(failed)?;
        }
        Ok(deleted)
    }
}

#[async_trait::async_trait]
impl Store for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn eviction_policy(&self) -> Result<Option<String>, StoreError> {
        // Also asked at start-up: not through the shared connection (see `Connections::own`).
        let mut conn = self.connections.own().await?;
        // `INFO memory` works where `CONFIG GET` is disabled (managed Redis).
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(info
            .lines()
            .find_map(|l| l.strip_prefix("maxmemory_policy:"))
            .map(|p| p.trim().to_owned()))
    }
}
