//! The Redis store (deadpool-redis). Keys, all with a TTL and all valid on Redis Cluster:
//!
//! - `{prefix}:s:<id>` → `created_at|appid|openid|unionid`, where `<id>` is base64url of the first
//!   128 bits of sha256(token); TTL: the idle TTL, capped by `created_at + max_lifetime`
//! - `{prefix}:u:{appid:openid}` → hash: `k0` (newest session_key), `k1` (previous) and one
//!   field `s:<id>` → creation time (ms) per session of the user (for log-out-everywhere; at
//!   most `session.max_sessions_per_user`, the oldest evicted; pruned of sessions past the
//!   absolute lifetime, and of those dead of idleness when the bound is reached); TTL: max
//!   lifetime
//! - `{prefix}:c:<sha256(appid, code)>` → `p` while exchanging, then the sealed answer
//! - `{prefix}:rl:<what>:<minute>` → rate-limit counters, expiring with their window

use anyhow::Context as _;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::AsyncCommands as _;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};

use super::{CodeClaim, NewSession, PENDING, SessionRecord, Store, StoreError, Touched, now_unix};
use crate::token::SessionId;

/// Rotates the user's keys and registers the session (field value: its creation time in
/// milliseconds), atomically (one key). When the hash has grown, sessions past their absolute
/// lifetime are pruned; when more than ARGV[5] sessions remain, their fields and creation times
/// are returned so that the caller can check which are still alive (their keys live in other
/// cluster slots) and call `EVICT`.
const REGISTER: &str = r"
local cur = redis.call('HGET', KEYS[1], 'k0')
if cur and cur ~= ARGV[1] then
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
";

/// Drops the fields ARGV[3..] (sessions found dead), then, while more than ARGV[1] sessions
/// remain, the oldest ones other than ARGV[2] (the new session); returns the evicted fields,
/// whose session keys the caller deletes.
const EVICT: &str = r"
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
";

/// Takes the user's hash away atomically and returns its fields: a login whose registration
/// lands after this starts a fresh hash that a later revoke reaches.
const TAKE_USER: &str = r"
local fields = redis.call('HKEYS', KEYS[1])
redis.call('DEL', KEYS[1])
return fields
";

/// Takes one back from a counter that still exists; never creates one (it would have no TTL).
const UNHIT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
";

/// How connections are held.
#[derive(Clone)]
enum Connections {
    /// A deadpool of connections; one per in-flight operation.
    Pool(Pool),
    /// One multiplexed connection shared by every request (commands of concurrent requests are
    /// pipelined on it), reconnecting by itself; opened on first use.
    Shared(std::sync::Arc<Shared>),
    /// Redis Cluster: one multiplexed connection per node, MOVED/ASK and failover handled by
    /// the client.
    Cluster(std::sync::Arc<ClusterShared>),
    /// Redis Sentinel: a multiplexed connection to the master the sentinels name, dropped and
    /// looked up again after a connection error or a READONLY answer (a failover).
    Sentinel(std::sync::Arc<SentinelShared>),
}

/// The cluster client and its connection, opened on first use.
struct ClusterShared {
    client: redis::cluster::ClusterClient,
    connection: tokio::sync::OnceCell<redis::cluster_async::ClusterConnection>,
}

/// The sentinel client and the current master connection.
struct SentinelShared {
    client: tokio::sync::Mutex<redis::sentinel::SentinelClient>,
    master: tokio::sync::RwLock<Option<redis::aio::MultiplexedConnection>>,
    config: redis::AsyncConnectionConfig,
}

impl SentinelShared {
    async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        if let Some(conn) = self.master.read().await.clone() {
            return Ok(conn);
        }
        let mut master = self.master.write().await;
        if let Some(conn) = master.clone() {
            return Ok(conn);
        }
        let client = self.client.lock().await.async_get_client().await?;
        let conn = client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        *master = Some(conn.clone());
        Ok(conn)
    }

    /// After a failure that may mean the master moved, forget the connection.
    async fn check(&self, err: &redis::RedisError) {
        if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_timeout()
            || err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
        {
            self.master.write().await.take();
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone, Copy)]
pub enum Topology<'a> {
    /// One Redis (or a managed endpoint).
    Standalone(&'a str),
    /// Redis Cluster seed nodes.
    Cluster(&'a [String]),
    /// Redis Sentinel: sentinel addresses, the master's name, and a URL whose credentials,
    /// database and scheme (`rediss://` for TLS) are used for the master.
    Sentinel {
        /// Sentinel URLs.
        sentinels: &'a [String],
        /// The monitored master's name.
        master_name: &'a str,
        /// Credentials, db and TLS for the master.
        master: &'a str,
    },
}

/// The shared multiplexed connection and what it needs to open itself.
struct Shared {
    client: redis::Client,
    config: ConnectionManagerConfig,
    manager: tokio::sync::OnceCell<ConnectionManager>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pool(_) => "Pool",
            Self::Shared(_) => "Shared",
            Self::Cluster(_) => "Cluster",
            Self::Sentinel(_) => "Sentinel",
        })
    }
}

/// A connection of either kind.
enum Conn {
    Pooled(deadpool_redis::Connection),
    Shared(ConnectionManager),
    Cluster(redis::cluster_async::ClusterConnection),
    Sentinel(
        redis::aio::MultiplexedConnection,
        std::sync::Arc<SentinelShared>,
    ),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Self::Pooled(c) => c.req_packed_command(cmd),
            Self::Shared(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
            Self::Sentinel(c, shared) => Box::pin(async move {
                let result = c.req_packed_command(cmd).await;
                if let Err(err) = &result {
                    shared.check(err).await;
                }
                result
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Self::Pooled(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Shared(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Sentinel(c, shared) => Box::pin(async move {
                let result = c.req_packed_commands(pipeline, offset, count).await;
                if let Err(err) = &result {
                    shared.check(err).await;
                }
                result
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Pooled(c) => c.get_db(),
            Self::Shared(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
            Self::Sentinel(c, _) => c.get_db(),
        }
    }
}

/// A Redis-backed store.
#[derive(Debug, Clone)]
pub struct RedisStore {
    connections: Connections,
    prefix: String,
    max_lifetime_secs: u64,
    scripts: std::sync::Arc<Scripts>,
}

/// The Lua scripts, each loaded once per connection (`EVALSHA`, `EVAL` on a miss).
#[derive(Debug)]
struct Scripts {
    register: redis::Script,
    evict: redis::Script,
    take_user: redis::Script,
    unhit: redis::Script,
}

fn unavailable(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unavailable(err.into())
}

impl RedisStore {
    /// Builds the store; connections are opened lazily. With `pool_size`, a pool of that many
    /// connections; without, one shared multiplexed connection, which may trust `tls_ca` (PEM)
    /// for `rediss://`.
    pub fn new(
        topology: Topology<'_>,
        prefix: &str,
        pool_size: Option<usize>,
        timeout: std::time::Duration,
        max_lifetime_secs: u64,
        tls_ca: Option<Vec<u8>>,
    ) -> anyhow::Result<Self> {
        let certs = || redis::TlsCertificates {
            client_tls: None,
            root_cert: tls_ca.clone(),
        };
        let url = match topology {
            Topology::Standalone(url) => url,
            Topology::Cluster(urls) => {
                let mut builder = redis::cluster::ClusterClient::builder(urls.to_vec())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(2);
                if tls_ca.is_some() {
                    builder = builder.certs(certs());
                }
                return Ok(Self::with(
                    Connections::Cluster(std::sync::Arc::new(ClusterShared {
                        client: builder
                            .build()
                            .context("building the Redis Cluster client")?,
                        connection: tokio::sync::OnceCell::new(),
                    })),
                    prefix,
                    max_lifetime_secs,
                ));
            }
            Topology::Sentinel {
                sentinels,
                master_name,
                master,
            } => {
                use redis::IntoConnectionInfo as _;
                let info = master
                    .into_connection_info()
                    .context("parsing the master URL (store.url)")?;
                let mut node = redis::sentinel::SentinelNodeConnectionInfo::default()
                    .set_redis_connection_info(info.redis_settings().clone());
                if master.starts_with("rediss://") {
                    node = node.set_tls_mode(redis::TlsMode::Secure);
                }
                let client = redis::sentinel::SentinelClient::build(
                    sentinels.iter().map(String::as_str).collect(),
                    master_name,
                    Some(node),
                    redis::sentinel::SentinelServerType::Master,
                )
                .context("building the Redis Sentinel client")?;
                return Ok(Self::with(
                    Connections::Sentinel(std::sync::Arc::new(SentinelShared {
                        client: tokio::sync::Mutex::new(client),
                        master: tokio::sync::RwLock::new(None),
                        config: redis::AsyncConnectionConfig::new()
                            .set_connection_timeout(Some(timeout))
                            .set_response_timeout(Some(timeout)),
                    })),
                    prefix,
                    max_lifetime_secs,
                ));
            }
        };
        let connections = if let Some(pool_size) = pool_size {
            let mut config = Config::from_url(url);
            let mut pool_config = PoolConfig::new(pool_size);
            pool_config.timeouts = Timeouts {
                wait: Some(timeout),
                create: Some(timeout),
                recycle: Some(timeout),
            };
            config.pool = Some(pool_config);
            Connections::Pool(
                config
                    .create_pool(Some(Runtime::Tokio1))
                    .context("building the Redis pool")?,
            )
        } else {
            Connections::Shared(std::sync::Arc::new(Shared {
                client: match &tls_ca {
                    Some(_) => redis::Client::build_with_tls(url, certs())
                        .context("setting up TLS for Redis")?,
                    None => redis::Client::open(url).context("parsing the Redis URL")?,
                },
                config: ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(std::time::Duration::from_millis(200)),
                manager: tokio::sync::OnceCell::new(),
            }))
        };
        Ok(Self::with(connections, prefix, max_lifetime_secs))
    }

    fn with(connections: Connections, prefix: &str, max_lifetime_secs: u64) -> Self {
        Self {
            connections,
            prefix: prefix.to_owned(),
            max_lifetime_secs,
            scripts: std::sync::Arc::new(Scripts {
                register: redis::Script::new(REGISTER),
                evict: redis::Script::new(EVICT),
                take_user: redis::Script::new(TAKE_USER),
                unhit: redis::Script::new(UNHIT),
            }),
        }
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        match &self.connections {
            Connections::Pool(pool) => pool.get().await.map(Conn::Pooled).map_err(unavailable),
            Connections::Shared(shared) => shared
                .manager
                .get_or_try_init(|| {
                    ConnectionManager::new_with_config(shared.client.clone(), shared.config.clone())
                })
                .await
                .map(|m| Conn::Shared(m.clone()))
                .map_err(unavailable),
            Connections::Cluster(cluster) => cluster
                .connection
                .get_or_try_init(|| cluster.client.get_async_connection())
                .await
                .map(|c| Conn::Cluster(c.clone()))
                .map_err(unavailable),
            Connections::Sentinel(sentinel) => sentinel
                .connection()
                .await
                .map(|c| Conn::Sentinel(c, sentinel.clone()))
                .map_err(unavailable),
        }
    }

    fn session_key(&self, id: &SessionId) -> String {
        format!("{}:s:{}", self.prefix, id.as_str())
    }

    fn user_key(&self, appid: &str, openid: &str) -> String {
        format!("{}:u:{{{appid}:{openid}}}", self.prefix)
    }

    fn decode(&self, value: Option<&str>) -> Option<SessionRecord> {
        value.and_then(|v| SessionRecord::decode(v, self.max_lifetime_secs))
    }

    fn code_key(&self, code_id: &str) -> String {
        format!("{}:c:{code_id}", self.prefix)
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
            let Some(id) = field.strip_prefix("s:") else {
                continue;
            };
            let key = self.session_key(&SessionId::from_stored(id.to_owned()));
            if !conn.exists::<_, bool>(key).await.map_err(unavailable)? {
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
            .map_err(unavailable)?;
        self.delete_sessions(conn, &evicted).await.map(|_| ())
    }

    /// Deletes the sessions of `s:<id>` fields (other fields are skipped); how many existed.
    /// One DEL per key, not one pipeline: the session keys live in other cluster slots. On a
    /// multiplexed connection the commands still share round trips.
    async fn delete_sessions(&self, conn: &mut Conn, fields: &[String]) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for id in fields.iter().filter_map(|f| f.strip_prefix("s:")) {
            let key = self.session_key(&SessionId::from_stored(id.to_owned()));
            deleted += conn.del::<_, u64>(key).await.map_err(unavailable)?;
        }
        Ok(deleted)
    }
}

/// A session's creation time in milliseconds, which orders a user's sessions: its `created_at`
/// second plus the clock's current millisecond, so that logins within one second keep their
/// order.
fn born_millis(created_at: i64) -> i64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::from(d.subsec_millis()));
    created_at.saturating_mul(1000).saturating_add(millis)
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
        // The session first, then its registration: a revoke that runs between the two misses
        // this session, but the registration then lands in a hash a later revoke reaches.
        let ttl = new.idle_ttl_secs.min(self.max_lifetime_secs).max(1);
        conn.set_ex::<_, _, ()>(self.session_key(new.id), new.record.encode(), ttl)
            .await
            .map_err(unavailable)?;
        let user = self.user_key(&new.record.appid, &new.record.openid);
        let field = session_field(new.id);
        let crowded: Vec<String> = self
            .scripts
            .register
            .key(&user)
            .arg(new.session_key)
            .arg(&field)
            .arg(self.max_lifetime_secs)
            .arg(born_millis(new.record.created_at))
            .arg(new.max_sessions)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if crowded.is_empty() {
            return Ok(());
        }
        self.evict(&mut conn, &user, &field, &crowded, new.max_sessions)
            .await
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        idle_ttl_secs: u64,
    ) -> Result<Option<Touched>, StoreError> {
        let mut conn = self.conn().await?;
        let key = self.session_key(id);
        let value: Option<String> = redis::cmd("GETEX")
            .arg(&key)
            .arg("EX")
            .arg(idle_ttl_secs)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let Some(record) = self.decode(value.as_deref()) else {
            return Ok(None);
        };
        let left = record.deadline.saturating_sub(now_unix());
        if left <= 0 {
            let _: Result<(), _> = conn.unlink(&key).await;
            return Ok(None);
        }
        let left = left.unsigned_abs();
        if left < idle_ttl_secs {
            // The last idle window before the absolute deadline: cap the TTL (a second trip,
            // once per session lifetime's last stretch).
            conn.expire_at::<_, ()>(&key, record.deadline)
                .await
                .map_err(unavailable)?;
            return Ok(Some(Touched {
                record,
                ttl_secs: left,
            }));
        }
        Ok(Some(Touched {
            record,
            ttl_secs: idle_ttl_secs,
        }))
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let value: Option<String> = conn
            .get_del(self.session_key(id))
            .await
            .map_err(unavailable)?;
        let Some(record) = self.decode(value.as_deref()) else {
            return Ok(value.is_some());
        };
        let user = self.user_key(&record.appid, &record.openid);
        conn.hdel::<_, _, ()>(user, session_field(id))
            .await
            .map_err(unavailable)?;
        Ok(true)
    }

    async fn user_keys(&self, appid: &str, openid: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn().await?;
        let user = self.user_key(appid, openid);
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
        let fields: Vec<String> = self
            .scripts
            .take_user
            .key(self.user_key(appid, openid))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        self.delete_sessions(&mut conn, &fields).await
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

    async fn hit(&self, key: &str, window_secs: u64) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let key = format!("{}:rl:{key}", self.prefix);
        let (count,): (u64,) = redis::pipe()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window_secs)
            .arg("NX")
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(count)
    }

    async fn unhit(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        self.scripts
            .unhit
            .key(format!("{}:rl:{key}", self.prefix))
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// The field of a session in its user's hash.
fn session_field(id: &SessionId) -> String {
    format!("s:{}", id.as_str())
}
