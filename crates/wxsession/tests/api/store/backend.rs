//! A backend of the conformance suite: a store, the clock it runs on, and how time passes for it.

use std::sync::Arc;
use std::time::Duration;

use wxsession::domain::clock::Clock as _;
use wxsession::domain::token::{SessionId, Token};
use wxsession::store::{MemoryStore, NewSession, RedisStore, SessionRecord, Store, Topology};

use super::LIFETIME;
use crate::helpers::TestClock;

/// A store under test: its clock, and where Redis holds its keys (no nodes: the memory store).
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub clock: Arc<TestClock>,
    pub(super) nodes: Vec<String>,
    pub(super) prefix: String,
}

/// A session a case created.
pub struct Login {
    pub id: SessionId,
    pub record: SessionRecord,
}

impl Backend {
    pub fn memory() -> Self {
        let clock = TestClock::new();
        let store = MemoryStore::new(LIFETIME).with_clock(clock.clone());
        Self::new(Arc::new(store), clock, Vec::new(), String::new())
    }

    /// A Redis store on `topology` under a fresh prefix; `nodes` are the Redis servers that may
    /// hold its keys.
    pub fn redis(topology: Topology<'_>, nodes: Vec<String>, pool: Option<usize>) -> Self {
        Self::redis_in_buckets(topology, nodes, pool, (4096, None))
    }

    /// [`Backend::redis`] with `store.buckets` and `store.also_read_buckets`.
    pub fn redis_in_buckets(
        topology: Topology<'_>,
        nodes: Vec<String>,
        pool: Option<usize>,
        (buckets, also_read): (u32, Option<u32>),
    ) -> Self {
        let clock = TestClock::new();
        let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
        let timeout = Duration::from_secs(2);
        let store = RedisStore::new(topology, &prefix, pool, timeout, LIFETIME, None)
            .expect("store")
            .with_buckets(buckets, also_read)
            .with_clock(clock.clone());
        Self::new(Arc::new(store), clock, nodes, prefix)
    }

    fn new(
        store: Arc<dyn Store>,
        clock: Arc<TestClock>,
        nodes: Vec<String>,
        prefix: String,
    ) -> Self {
        Self {
            store,
            clock,
            nodes,
            prefix,
        }
    }

    /// Lets `secs` pass: the clock moves, and Redis' time for this store's keys.
    pub async fn pass(&self, secs: u64) {
        crate::helpers::pass(
            &self.clock,
            &self.nodes,
            &self.prefix,
            Duration::from_secs(secs),
        )
        .await;
    }

    /// Moves only the service's clock: Redis keeps every key as it is.
    pub fn advance_clock(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// Logs `openid` in now with `key`, idle TTL `idle`, at most 32 sessions.
    pub async fn login(&self, openid: &str, key: &str, idle: u64) -> Login {
        self.login_bounded(openid, key, idle, 32).await
    }

    /// [`Backend::login`] with at most `max_sessions` sessions for the user.
    pub async fn login_bounded(&self, openid: &str, key: &str, idle: u64, max: u64) -> Login {
        let now = self.now();
        let record = SessionRecord {
            appid: super::app("wxapp"),
            openid: super::user(openid),
            unionid: Some(super::person("union-1")),
            created_at: now,
            deadline: now + LIFETIME as i64,
        };
        let id = Token::mint().expect("rng").id();
        let new = NewSession {
            id: &id,
            record: &record,
            session_key: Some(key),
            idle_ttl_secs: idle,
            max_sessions: max,
        };
        self.store.create_session(new).await.expect("create");
        Login { id, record }
    }

    /// Whether the session is alive (a touch, which renews its idle TTL to `idle`).
    pub async fn alive(&self, login: &Login, idle: u64) -> bool {
        let touched = self.store.touch_session(&login.id, idle).await;
        touched.expect("touch").is_some()
    }

    /// Every key this store wrote has a TTL.
    pub(super) async fn every_key_expires(&self) {
        for node in crate::helpers::masters(&self.nodes).await {
            for (key, ttl) in crate::helpers::keys_with_ttl(&node, &self.prefix).await {
                // The app registry is durable by design: it has no TTL.
                if key.contains(":{apps}:") {
                    continue;
                }
                assert!(ttl > 0, "{key} has TTL {ttl}");
            }
        }
    }
}
