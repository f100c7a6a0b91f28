//! What only the Redis store has: its own TTLs in real time, its entries' layout; and the
//! helpers of the layout tests (`layout`), on the system clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wxsession::domain::clock::{Clock as _, SystemClock};
use wxsession::domain::token::Token;
use wxsession::store::{NewSession, RedisStore, SessionRecord, Store, Topology};

use super::{Backend, LIFETIME};
use crate::helpers::{RedisHandle, eventually};

/// What the test clock cannot drive, tested once in real time: Redis expires an idle session on
/// its own.
#[tokio::test]
async fn redis_expires_an_idle_session_on_its_own_time() {
    let redis = RedisHandle::get();
    let url = redis.url();
    let b = Backend::redis(Topology::Standalone(&url), vec![url.clone()], None);
    b.login("o-real", "key-R", 1).await;
    let started = Instant::now();
    let gone = eventually(Duration::from_secs(5), || async {
        let keys = crate::helpers::keys_with_ttl(&url, &b.prefix).await;
        !keys.iter().any(|(k, _)| k.contains(":s:"))
    })
    .await;
    assert!(gone, "Redis expired the idle session");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "not before its TTL"
    );
}

/// The system clock's time, for the tests that write Redis directly.
pub fn now_unix() -> i64 {
    SystemClock.now_unix()
}

fn record(openid: &str, lifetime: i64) -> SessionRecord {
    // Stores derive the deadline as created_at + LIFETIME: a shorter life is an older login.
    let now = now_unix();
    let created_at = now + lifetime - LIFETIME as i64;
    SessionRecord {
        appid: super::app("wxapp"),
        openid: super::user(openid),
        unionid: Some(super::person("union-1")),
        created_at,
        deadline: created_at + LIFETIME as i64,
    }
}

/// A session of `openid` with `lifetime` seconds left, on the system clock.
pub async fn create(store: &dyn Store, openid: &str, key: &str, idle: u64, lifetime: i64) -> Token {
    let token = Token::mint().expect("rng");
    store
        .create_session(NewSession {
            id: &token.id(),
            record: &record(openid, lifetime),
            session_key: Some(key),
            idle_ttl_secs: idle,
            max_sessions: 32,
        })
        .await
        .expect("create");
    token
}

/// A Redis store on the suite's redis-server under a fresh prefix, with the server's handle
/// (which stops a server the test owns when dropped), its URL and the prefix.
pub fn redis_store(pool: Option<usize>) -> (Arc<dyn Store>, RedisHandle, String, String) {
    let redis = RedisHandle::get();
    let url = redis.url();
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let store = RedisStore::new(
        Topology::Standalone(&url),
        &prefix,
        pool,
        Duration::from_secs(1),
        LIFETIME,
        None,
    )
    .expect("store");
    (Arc::new(store), redis, url, prefix)
}

/// A user who logs in again and again does not grow their entry forever: sessions past their
/// absolute lifetime are pruned at each login (Redis' layout).
#[tokio::test]
async fn redis_entries_drop_sessions_past_their_lifetime() {
    let (store, _redis, url, prefix) = redis_store(None);
    for _ in 0..30 {
        create(&*store, "o9", "key-old", 100, -10).await;
    }
    create(&*store, "o9", "key-new", 100, 3600).await;
    let entry = crate::helpers::user_entry(&url, &prefix, "wxapp", "o9")
        .await
        .expect("entry");
    assert_eq!(
        entry.sessions.len(),
        1,
        "the entry kept {:?}",
        entry.sessions
    );
    assert_eq!(entry.keys, vec!["key-new", "key-old"]);
}
