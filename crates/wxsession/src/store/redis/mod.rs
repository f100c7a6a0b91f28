//! The Redis store. The key layout is in [`keys`], the Lua scripts in `scripts/`, how Redis is
//! reached in [`connection`]; each store trait has its own file.

mod apps;
mod buckets;
mod codes;
mod connection;
mod counters;
mod feed;
mod keys;
pub mod layout;
mod legacy;
mod phones;
mod sentinel;
mod sessions;
mod tokens;
mod unions;
mod version;

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands as _;

pub use self::connection::Topology;
use self::connection::{Conn, Connections};
use self::keys::Keys;
use super::cache::SessionCache;
use super::{SessionRecord, Store, StoreError};
use crate::domain::clock::Clock;
use crate::domain::token::SessionId;

/// A Redis-backed store.
#[derive(Debug, Clone)]
pub struct RedisStore {
    connections: Connections,
    keys: Keys,
    /// Where entries are written and read (`store.buckets`).
    buckets: buckets::Buckets,
    max_lifetime_secs: u64,
    scripts: Arc<Scripts>,
    /// Where reads of the layout before entries are counted (`legacy`).
    old_layout_reads: Arc<std::sync::OnceLock<prometheus::IntCounterVec>>,
    /// The replica's clock: it decides deadness when the store reads (a session's deadline,
    /// an entry's life, the unionid index); Redis' own TTLs run on Redis' time.
    clock: Arc<dyn Clock>,
    /// The local validation cache and its change feed ([`feed`]), when on.
    cache: Option<Arc<SessionCache>>,
}

/// The local validation cache's settings (`session.local_cache*`).
#[derive(Debug, Clone, Copy)]
pub struct LocalCache {
    /// The most sessions held.
    pub entries: usize,
    /// The sessions' idle TTL.
    pub idle_ttl_secs: u64,
    /// A session in use is extended at most once per this many seconds (more than 0).
    pub touch_interval_secs: u64,
    /// The feed's deadline to connect and for each answer (`store.timeout_ms`).
    pub timeout: Duration,
}

/// The Lua scripts, each loaded once per connection (`EVALSHA`, `EVAL` on a miss).
#[derive(Debug)]
struct Scripts {
    /// Every change to a user's or a person's entry (`layout`).
    entry: redis::Script,
    /// Takes a user's hash of the layout before entries (`legacy`).
    take_user: redis::Script,
    drop_token: redis::Script,
    /// The app registry: a change, the changes after a revision, everything at once.
    put_app: redis::Script,
    replace_app: redis::Script,
    delete_app: redis::Script,
    app_changes: redis::Script,
    app_snapshot: redis::Script,
    /// Deletes a lock only if it holds the given owner.
    unlock: redis::Script,
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
            buckets: buckets::Buckets::default(),
            max_lifetime_secs,
            scripts: Arc::new(Scripts {
                entry: redis::Script::new(&layout::entry_script()),
                take_user: redis::Script::new(include_str!("scripts/take_user.lua")),
                drop_token: redis::Script::new(include_str!("scripts/drop_token.lua")),
                put_app: redis::Script::new(include_str!("scripts/put_app.lua")),
                replace_app: redis::Script::new(include_str!("scripts/replace_app.lua")),
                delete_app: redis::Script::new(include_str!("scripts/delete_app.lua")),
                app_changes: redis::Script::new(include_str!("scripts/app_changes.lua")),
                app_snapshot: redis::Script::new(include_str!("scripts/app_snapshot.lua")),
                unlock: redis::Script::new(include_str!("scripts/unlock.lua")),
            }),
            old_layout_reads: Arc::default(),
            clock: crate::domain::clock::system(),
            cache: None,
        })
    }

    /// The same store with a local validation cache, fed by Redis' client tracking on the
    /// master of `topology` (the one the store was built with). Cluster keeps no cache: every
    /// validation stays a round trip. Call after [`Self::with_clock`]: the cache reads the
    /// store's clock.
    pub fn with_local_cache(
        self,
        topology: Topology<'_>,
        tls_ca: Option<Vec<u8>>,
        settings: LocalCache,
    ) -> anyhow::Result<Self> {
        let Some(source) = feed::Source::of(topology, tls_ca)? else {
            tracing::info!(
                "session.local_cache: off with Redis Cluster (every validation is a round trip)"
            );
            return Ok(self);
        };
        let cache = SessionCache::new(
            settings.entries,
            settings.idle_ttl_secs,
            settings.touch_interval_secs,
            self.clock.clone(),
        );
        feed::start(source, self.keys.prefix(), &cache, settings.timeout)?;
        Ok(Self {
            cache: Some(cache),
            ..self
        })
    }

    /// Drops a session from the local cache: this replica sees its own changes at once.
    fn forget(&self, id: &str) {
        if let Some(cache) = &self.cache {
            cache.invalidate(id);
        }
    }

    /// Counts a read that found what the layout before entries wrote, when `found`.
    fn old_layout_read(&self, kind: &str, found: bool) {
        if let (true, Some(counter)) = (found, self.old_layout_reads.get()) {
            counter.with_label_values(&[kind]).inc();
        }
    }

    /// The same store on `clock`.
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Now, in seconds since the epoch on the replica's clock.
    fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        self.connections.get().await
    }

    fn decode(&self, value: Option<&str>) -> Option<SessionRecord> {
        value.and_then(|v| SessionRecord::decode(v, self.max_lifetime_secs))
    }

    /// The absolute lifetime, which is also an entry's life after its last write.
    fn lifetime(&self) -> i64 {
        i64::try_from(self.max_lifetime_secs).unwrap_or(i64::MAX)
    }

    /// An operation of `scripts/entry.lua` on one entry, its common arguments given.
    fn entry<'s>(&'s self, op: &str, bucket: &str, field: &[u8]) -> redis::ScriptInvocation<'s> {
        self.entry_living(op, bucket, field, self.max_lifetime_secs)
    }

    /// [`Self::entry`] for an entry that lives `life_secs` after its last write. The script
    /// takes this replica's clock, the one that decides deadness when it reads.
    fn entry_living<'s>(
        &'s self,
        op: &str,
        bucket: &str,
        field: &[u8],
        life_secs: u64,
    ) -> redis::ScriptInvocation<'s> {
        let mut call = self.scripts.entry.key(bucket);
        call.arg(op)
            .arg(field)
            .arg(life_secs.max(1))
            .arg(layout::stored_secs(self.now()));
        call
    }

    /// Whether the session with this stored id exists. One `EXISTS` per session: their keys
    /// live in other cluster slots.
    async fn session_alive(&self, conn: &mut Conn, id: &str) -> Result<bool, StoreError> {
        let key = self.keys.session(&SessionId::from_stored(id.to_owned()));
        conn.exists::<_, bool>(key).await.map_err(failed)
    }

    /// Deletes the sessions with these stored ids; how many existed. One DEL per key, not one
    /// pipeline: the session keys live in other cluster slots. On a multiplexed connection the
    /// commands still share round trips.
    async fn delete_sessions(&self, conn: &mut Conn, ids: &[String]) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for id in ids {
            let key = self.keys.session(&SessionId::from_stored(id.clone()));
            deleted += conn.del::<_, u64>(key).await.map_err(failed)?;
            self.forget(id);
        }
        Ok(deleted)
    }

    /// `err`, after deleting the sessions of entries already taken (best effort).
    async fn fail_after<T>(
        &self,
        conn: &mut Conn,
        ids: &[String],
        err: StoreError,
    ) -> Result<T, StoreError> {
        let _ = self.delete_sessions(conn, ids).await;
        Err(err)
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
        // `INFO memory` works where `CONFIG GET` is disabled (managed Redis). On a Cluster
        // every master answers.
        let answers = version::info(&mut conn, "memory").await.map_err(failed)?;
        Ok(version::worst_eviction_policy(&answers))
    }

    async fn server_version(&self) -> Result<Option<String>, StoreError> {
        // Also asked at start-up: not through the shared connection (see `Connections::own`).
        let mut conn = self.connections.own().await?;
        let answers = version::info_server(&mut conn).await.map_err(failed)?;
        Ok(Some(version::oldest(&answers)?.to_string()))
    }

    fn count_old_layout_reads(&self, counter: prometheus::IntCounterVec) {
        let _ = self.old_layout_reads.set(counter);
    }

    fn session_cache(&self) -> Option<&SessionCache> {
        self.cache.as_deref()
    }
}
