//! How the Redis store reaches Redis: one shared multiplexed connection (default), a pool,
//! Redis Cluster or Redis Sentinel, each behind the same [`Conn`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};

use super::sentinel::SentinelShared;
use super::unavailable;
use crate::store::StoreError;

/// How connections are held.
#[derive(Clone)]
pub(super) enum Connections {
    /// A deadpool of connections; one per in-flight operation.
    Pool(Pool),
    /// One multiplexed connection per thread that uses the store (an HTTP worker), shared by
    /// that thread's requests (their commands are pipelined on it), reconnecting by itself;
    /// opened on first use by that thread, so that its I/O runs where its requests do.
    Shared(Arc<Shared>),
    /// Redis Cluster: one multiplexed connection per node, MOVED/ASK and failover handled by
    /// the client.
    Cluster(Arc<ClusterShared>),
    /// Redis Sentinel: a multiplexed connection to the master the sentinels name, dropped and
    /// looked up again after a connection error or a READONLY answer (a failover).
    Sentinel(Arc<SentinelShared>),
}

/// The cluster client and its connection, opened on first use.
pub(super) struct ClusterShared {
    client: redis::cluster::ClusterClient,
    connection: tokio::sync::OnceCell<redis::cluster_async::ClusterConnection>,
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

/// The per-thread multiplexed connections and what they need to open themselves.
pub(super) struct Shared {
    client: redis::Client,
    config: ConnectionManagerConfig,
    /// Each worker thread's connection. One shared by all workers kept its driver on the
    /// first worker's thread: every other worker's command crossed threads twice (measured:
    /// per-thread connections serve `/v1/auth` faster on this 2-core machine, see Benchmarks).
    managers: thread_local::ThreadLocal<tokio::sync::OnceCell<ConnectionManager>>,
    timeout: Option<Duration>,
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
pub(super) enum Conn {
    Pooled(deadpool_redis::Connection),
    Shared(ConnectionManager),
    Cluster(redis::cluster_async::ClusterConnection),
    Sentinel(redis::aio::MultiplexedConnection, Arc<SentinelShared>),
    /// A connection of its own, for a one-off command.
    Own(redis::aio::MultiplexedConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Self::Pooled(c) => c.req_packed_command(cmd),
            Self::Shared(c) => c.req_packed_command(cmd),
            Self::Own(c) => c.req_packed_command(cmd),
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
            Self::Own(c) => c.req_packed_commands(pipeline, offset, count),
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
            Self::Own(c) => c.get_db(),
        }
    }
}

impl Connections {
    /// Sets the connections up; they are opened lazily. With `pool_size` (standalone only), a
    /// pool of that many connections; without, one shared multiplexed connection, which may
    /// trust `tls_ca` (PEM) for `rediss://`.
    pub(super) fn open(
        topology: Topology<'_>,
        pool_size: Option<usize>,
        timeout: Duration,
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
                return Ok(Self::Cluster(std::sync::Arc::new(ClusterShared {
                    client: builder
                        .build()
                        .context("building the Redis Cluster client")?,
                    connection: tokio::sync::OnceCell::new(),
                })));
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
                return Ok(Self::Sentinel(std::sync::Arc::new(SentinelShared::new(
                    client, timeout,
                ))));
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
            Self::Pool(
                config
                    .create_pool(Some(Runtime::Tokio1))
                    .context("building the Redis pool")?,
            )
        } else {
            Self::Shared(std::sync::Arc::new(Shared {
                client: match &tls_ca {
                    Some(_) => redis::Client::build_with_tls(url, certs())
                        .context("setting up TLS for Redis")?,
                    None => redis::Client::open(url).context("parsing the Redis URL")?,
                },
                config: ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(200)),
                managers: thread_local::ThreadLocal::new(),
                timeout: Some(timeout),
            }))
        };
        Ok(connections)
    }

    /// A connection to send commands on.
    pub(super) async fn get(&self) -> Result<Conn, StoreError> {
        match self {
            Self::Pool(pool) => pool.get().await.map(Conn::Pooled).map_err(unavailable),
            Self::Shared(shared) => shared
                .managers
                .get_or_default()
                .get_or_try_init(|| {
                    ConnectionManager::new_with_config(shared.client.clone(), shared.config.clone())
                })
                .await
                .map(|m| Conn::Shared(m.clone()))
                .map_err(unavailable),
            Self::Cluster(cluster) => cluster
                .connection
                .get_or_try_init(|| cluster.client.get_async_connection())
                .await
                .map(|c| Conn::Cluster(c.clone()))
                .map_err(unavailable),
            Self::Sentinel(sentinel) => sentinel
                .connection()
                .await
                .map(|c| Conn::Sentinel(c, sentinel.clone()))
                .map_err(unavailable),
        }
    }

    /// A connection for a one-off command that must not open the shared connection: a shared
    /// multiplexed connection keeps its driver task on the runtime that opens it first, and that
    /// should be an HTTP worker's, not the start-up task's (measured: the shared connection
    /// opened at start-up cost 12 % of `/v1/auth` throughput in cross-thread wake-ups).
    pub(super) async fn own(&self) -> Result<Conn, StoreError> {
        match self {
            Self::Shared(shared) => shared
                .client
                .get_multiplexed_async_connection_with_config(
                    &redis::AsyncConnectionConfig::new()
                        .set_connection_timeout(shared.timeout)
                        .set_response_timeout(shared.timeout),
                )
                .await
                .map(Conn::Own)
                .map_err(unavailable),
            _ => self.get().await,
        }
    }
}
