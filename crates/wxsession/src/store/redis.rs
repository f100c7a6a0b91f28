//! The Redis store (deadpool-redis). Keys, all with a TTL and all valid on Redis Cluster:
//!
//! - `{prefix}:s:<id>` → `created_at|appid|openid|unionid`, where `<id>` is base64url of the first
//!   128 bits of sha256(token); TTL: the idle TTL, capped by `created_at + max_lifetime`
//! - `{prefix}:u:{appid:openid}` → hash: `k0` (newest session_key), `k1` (previous) and one
//!   field `s:<id>` → created_at per session of the user (for log-out-everywhere; pruned once
//!   past the absolute lifetime); TTL: max lifetime
//! - `{prefix}:c:<sha256(appid, code)>` → `p` while exchanging, then the sealed answer
//! - `{prefix}:rl:<what>:<minute>` → rate-limit counters, expiring with their window

use anyhow::Context as _;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::AsyncCommands as _;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};

use super::{CodeClaim, NewSession, PENDING, SessionRecord, Store, StoreError, Touched, now_unix};
use crate::token::SessionId;

/// Rotates the user's keys and registers the session (field value: its `created_at`),
/// atomically (one key). Sessions past their absolute lifetime are pruned from a hash that has
/// grown, so a user who logs in every day does not grow it forever.
const ROTATE: &str = r"
local cur = redis.call('HGET', KEYS[1], 'k0')
if cur and cur ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'k0', ARGV[1], 'k1', cur, ARGV[2], ARGV[4])
else
  redis.call('HSET', KEYS[1], 'k0', ARGV[1], ARGV[2], ARGV[4])
end
if redis.call('HLEN', KEYS[1]) > 8 then
  local now = tonumber(redis.call('TIME')[1])
  local life = tonumber(ARGV[3])
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local born = tonumber(all[i + 1])
    if string.sub(all[i], 1, 2) == 's:' and born and born + life <= now then
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
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
    rotate: std::sync::Arc<redis::Script>,
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
            rotate: std::sync::Arc::new(redis::Script::new(ROTATE)),
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
        let user = self.user_key(&new.record.appid, &new.record.openid);
        self.rotate
            .key(&user)
            .arg(new.session_key)
            .arg(session_field(new.id))
            .arg(self.max_lifetime_secs)
            .arg(new.record.created_at)
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
        let user = self.user_key(appid, openid);
        let fields: Vec<String> = conn.hkeys(&user).await.map_err(unavailable)?;
        // One DEL per key, not one pipeline: the session keys live in other cluster slots. On a
        // multiplexed connection the commands still share round trips.
        let mut revoked = 0;
        for id in fields.iter().filter_map(|f| f.strip_prefix("s:")) {
            let key = self.session_key(&SessionId::from_stored(id.to_owned()));
            revoked += conn.del::<_, u64>(key).await.map_err(unavailable)?;
        }
        conn.del::<_, ()>(&user).await.map_err(unavailable)?;
        Ok(revoked)
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

    async fn count(&self, key: &str) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let count: Option<u64> = conn
            .get(format!("{}:rl:{key}", self.prefix))
            .await
            .map_err(unavailable)?;
        Ok(count.unwrap_or(0))
    }
}

/// The field of a session in its user's hash.
fn session_field(id: &SessionId) -> String {
    format!("s:{}", id.as_str())
}
