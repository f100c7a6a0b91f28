//! The change feed of the local validation cache (`store::cache`): one RESP3 connection per
//! replica, to the master (standalone, or the one the sentinels name), in client tracking's
//! broadcast mode on the session keys' prefix: `CLIENT TRACKING ON BCAST PREFIX {prefix}:s:`.
//! Redis then pushes the name of every session key that changes — set, extended, deleted,
//! expired, evicted — by any client, and `null` on a flush.
//!
//! The feed runs on a thread of its own (a current-thread runtime), so that a replica busy
//! serving requests still reads its invalidations within milliseconds. The pushes are applied
//! in the connection's reader, before any later reply on it is delivered. A heartbeat (`PING`
//! every [`HEARTBEAT_MILLIS`]) proves the connection alive; the cache answers only while one
//! was answered lately. A closed connection closes the cache at once (from the reader); the
//! feed then reconnects with a backoff, and the cache opens empty once tracking is on again.
//! The thread ends when the store is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context as _;
use redis::{AsyncConnectionConfig, IntoConnectionInfo as _, ProtocolVersion, PushInfo, PushKind};

use super::connection::Topology;
use crate::store::cache::{HEARTBEAT_MILLIS, SessionCache};

/// Where the feed connects.
pub(super) enum Source {
    /// One Redis.
    Standalone(redis::Client),
    /// The master the sentinels name, looked up at each connection.
    Sentinel(redis::sentinel::SentinelClient),
}

impl Source {
    /// The feed's source for `topology`; `None` for Cluster, where the cache stays off (every
    /// validation is a round trip).
    pub(super) fn of(
        topology: Topology<'_>,
        tls_ca: Option<Vec<u8>>,
    ) -> anyhow::Result<Option<Self>> {
        let resp3 = |url: &str| -> anyhow::Result<redis::ConnectionInfo> {
            let info = url
                .into_connection_info()
                .context("parsing the Redis URL")?;
            let settings = info
                .redis_settings()
                .clone()
                .set_protocol(ProtocolVersion::RESP3);
            Ok(info.set_redis_settings(settings))
        };
        Ok(Some(match topology {
            Topology::Cluster(_) => return Ok(None),
            Topology::Standalone(url) => Self::Standalone(match tls_ca {
                Some(ca) => redis::Client::build_with_tls(
                    resp3(url)?,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(ca),
                    },
                )
                .context("setting up TLS for the change feed")?,
                None => redis::Client::open(resp3(url)?).context("the change feed's client")?,
            }),
            Topology::Sentinel {
                sentinels,
                master_name,
                master,
            } => {
                let info = resp3(master)?;
                let mut node = redis::sentinel::SentinelNodeConnectionInfo::default()
                    .set_redis_connection_info(info.redis_settings().clone());
                if master.starts_with("rediss://") {
                    node = node.set_tls_mode(redis::TlsMode::Secure);
                }
                Self::Sentinel(
                    redis::sentinel::SentinelClient::build(
                        sentinels.iter().map(String::as_str).collect(),
                        master_name,
                        Some(node),
                        redis::sentinel::SentinelServerType::Master,
                    )
                    .context("the change feed's Sentinel client")?,
                )
            }
        }))
    }

    async fn client(&mut self) -> redis::RedisResult<redis::Client> {
        match self {
            Self::Standalone(client) => Ok(client.clone()),
            Self::Sentinel(sentinel) => sentinel.async_get_client().await,
        }
    }
}

/// Starts the feed of `cache` on a thread of its own; it ends when `cache` is dropped.
pub(super) fn start(
    source: Source,
    key_prefix: &str,
    cache: &Arc<SessionCache>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let feed = Feed {
        name: format!("wxsession-feed:{key_prefix}"),
        prefix: format!("{key_prefix}:s:").into_bytes(),
        cache: Arc::downgrade(cache),
        timeout,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("the change feed's runtime")?;
    std::thread::Builder::new()
        .name("wxsession-feed".into())
        .spawn(move || runtime.block_on(feed.run(source)))
        .context("starting the change feed")?;
    Ok(())
}

struct Feed {
    /// The connection's name in `CLIENT LIST`: `wxsession-feed:{prefix}`.
    name: String,
    /// `{prefix}:s:`, the tracked prefix.
    prefix: Vec<u8>,
    cache: Weak<SessionCache>,
    timeout: Duration,
}

/// Why a feed connection ended.
enum End {
    /// The store is gone: stop.
    Dropped,
    /// The connection failed or closed: reconnect.
    Lost(anyhow::Error),
}

impl Feed {
    async fn run(self, mut source: Source) {
        let first = Duration::from_millis(50);
        let mut backoff = first;
        let mut logged = false;
        loop {
            match self.connect_and_follow(&mut source).await {
                End::Dropped => return,
                End::Lost(err) => {
                    let Some(cache) = self.cache.upgrade() else {
                        return;
                    };
                    cache.feed_down();
                    // One warning per outage, not one per attempt.
                    if !logged {
                        tracing::warn!(
                            error = %format!("{err:#}"),
                            "the session cache's change feed is down: validations go to Redis until it is back"
                        );
                        logged = true;
                    }
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
            if self.cache.upgrade().is_none() {
                return;
            }
            if logged && backoff == first {
                logged = false;
            }
        }
    }

    async fn connect_and_follow(&self, source: &mut Source) -> End {
        let closed = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(tokio::sync::Notify::new());
        let sender = {
            let (cache, prefix) = (self.cache.clone(), self.prefix.clone());
            let (closed, lost) = (closed.clone(), lost.clone());
            move |info: PushInfo| -> Result<(), std::convert::Infallible> {
                if apply(&cache, &prefix, info) {
                    closed.store(true, Ordering::SeqCst);
                    lost.notify_one();
                }
                Ok(())
            }
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_push_sender(sender);
        let conn = async {
            let client = source.client().await?;
            let mut conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("CLIENT")
                .arg("SETNAME")
                .arg(&self.name)
                .query_async::<()>(&mut conn)
                .await?;
            redis::cmd("CLIENT")
                .arg("TRACKING")
                .arg("ON")
                .arg("BCAST")
                .arg("PREFIX")
                .arg(&self.prefix)
                .query_async::<()>(&mut conn)
                .await?;
            redis::RedisResult::Ok(conn)
        };
        let mut conn = match conn.await {
            Ok(conn) => conn,
            Err(err) => return End::Lost(err.into()),
        };
        {
            let Some(cache) = self.cache.upgrade() else {
                return End::Dropped;
            };
            cache.feed_up();
            // Closed between tracking on and now: not up after all.
            if closed.load(Ordering::SeqCst) {
                return End::Lost(anyhow::anyhow!("the connection closed"));
            }
            tracing::info!("the session cache's change feed is up");
        }
        let mut tick = tokio::time::interval(Duration::from_millis(HEARTBEAT_MILLIS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = lost.notified() => return End::Lost(anyhow::anyhow!("the connection closed")),
                _ = tick.tick() => {}
            }
            let Some(sent) = self.cache.upgrade().map(|c| c.heartbeat_sent()) else {
                return End::Dropped;
            };
            if let Err(err) = redis::cmd("PING").query_async::<()>(&mut conn).await {
                return End::Lost(err.into());
            }
            match self.cache.upgrade() {
                Some(cache) => cache.heard(sent),
                None => return End::Dropped,
            }
        }
    }
}

/// Applies one push to the cache; true when it says the connection closed.
fn apply(cache: &Weak<SessionCache>, prefix: &[u8], info: PushInfo) -> bool {
    let Some(cache) = cache.upgrade() else {
        return false;
    };
    match info.kind {
        PushKind::Invalidate => match info.data.first() {
            Some(redis::Value::Array(keys)) => {
                for key in keys {
                    let id = match key {
                        redis::Value::BulkString(k) => k.strip_prefix(prefix),
                        _ => None,
                    };
                    match id.map(std::str::from_utf8) {
                        Some(Ok(id)) => cache.invalidate(id),
                        // Not a key of ours in a shape we know: drop everything.
                        _ => cache.flush(),
                    }
                }
            }
            // `null`: the database was flushed (or a shape we do not know).
            _ => cache.flush(),
        },
        PushKind::Disconnection => {
            cache.feed_down();
            return true;
        }
        _ => {}
    }
    false
}
