//! The store conformance suite: the Redis store (on a real redis-server) and the memory store
//! must behave the same.

mod layout;

use std::sync::Arc;
use std::time::Duration;

use wxsession::domain::token::Token;
use wxsession::store::{CodeClaim, MemoryStore, NewSession, RedisStore, SessionRecord, Store};

use crate::helpers::RedisHandle;

pub const LIFETIME: u64 = 3600;

/// The system clock's time, for the tests that write Redis directly.
pub fn now_unix() -> i64 {
    use wxsession::domain::clock::Clock as _;
    wxsession::domain::clock::SystemClock.now_unix()
}

fn record(openid: &str, lifetime: i64) -> SessionRecord {
    // Stores derive the deadline as created_at + LIFETIME: a shorter life is an older login.
    let now = now_unix();
    let created_at = now + lifetime - LIFETIME as i64;
    SessionRecord {
        appid: "wxapp".into(),
        openid: openid.into(),
        unionid: Some("union-1".into()),
        created_at,
        deadline: created_at + LIFETIME as i64,
    }
}

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

pub async fn suite(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");

    // Create, touch, keys.
    let t1 = create(&*store, "o1", "key-A", 100, 3600).await;
    let found = store
        .touch_session(&t1.id(), 100)
        .await
        .expect("touch")
        .expect("found");
    assert_eq!(found.record.openid, "o1");
    assert_eq!(found.record.unionid.as_deref(), Some("union-1"));
    assert_eq!(found.ttl_secs, 100);
    assert_eq!(
        store.user_keys("wxapp", "o1").await.expect("keys"),
        vec!["key-A"]
    );

    // Unknown token.
    let stranger = Token::mint().expect("rng");
    assert_eq!(
        store
            .touch_session(&stranger.id(), 100)
            .await
            .expect("touch"),
        None
    );

    // Re-login rotates keys: newest first, previous kept, at most two.
    let t2 = create(&*store, "o1", "key-B", 100, 3600).await;
    assert_eq!(
        store.user_keys("wxapp", "o1").await.expect("keys"),
        vec!["key-B", "key-A"]
    );
    let _t3 = create(&*store, "o1", "key-C", 100, 3600).await;
    assert_eq!(
        store.user_keys("wxapp", "o1").await.expect("keys"),
        vec!["key-C", "key-B"]
    );
    // The same key twice does not push the previous one out.
    let _t4 = create(&*store, "o1", "key-C", 100, 3600).await;
    assert_eq!(
        store.user_keys("wxapp", "o1").await.expect("keys"),
        vec!["key-C", "key-B"]
    );

    // Touch is capped by the deadline.
    let short = create(&*store, "o2", "key-S", 100, 5).await;
    let found = store
        .touch_session(&short.id(), 100)
        .await
        .expect("touch")
        .expect("found");
    assert!(
        found.ttl_secs <= 5 && found.ttl_secs >= 4,
        "{}",
        found.ttl_secs
    );
    // Past its deadline it is gone.
    let expired = create(&*store, "o2", "key-S", 100, 0).await;
    assert_eq!(
        store
            .touch_session(&expired.id(), 100)
            .await
            .expect("touch"),
        None
    );

    // Delete.
    assert!(store.delete_session(&t1.id()).await.expect("delete"));
    assert!(!store.delete_session(&t1.id()).await.expect("delete"));
    assert_eq!(
        store.touch_session(&t1.id(), 100).await.expect("touch"),
        None
    );

    // Revoke all of o1: t2, t3, t4 (t1 is already gone); o2's stay.
    assert_eq!(store.revoke_user("wxapp", "o1").await.expect("revoke"), 3);
    assert_eq!(
        store.touch_session(&t2.id(), 100).await.expect("touch"),
        None
    );
    assert!(
        store
            .user_keys("wxapp", "o1")
            .await
            .expect("keys")
            .is_empty()
    );
    assert!(
        store
            .touch_session(&short.id(), 100)
            .await
            .expect("touch")
            .is_some()
    );
    assert_eq!(
        store.revoke_user("wxapp", "nobody").await.expect("revoke"),
        0
    );

    // Code claims: one winner, then pending, then done; release lets another try.
    assert_eq!(
        store.claim_code("c1", 30).await.expect("claim"),
        CodeClaim::Acquired
    );
    assert_eq!(
        store.claim_code("c1", 30).await.expect("claim"),
        CodeClaim::Pending
    );
    store
        .finish_code("c1", b"sealed-answer", 30)
        .await
        .expect("finish");
    assert_eq!(
        store.claim_code("c1", 30).await.expect("claim"),
        CodeClaim::Done(b"sealed-answer".to_vec())
    );
    assert_eq!(
        store.claim_code("c2", 30).await.expect("claim"),
        CodeClaim::Acquired
    );
    store.release_code("c2").await.expect("release");
    assert_eq!(
        store.claim_code("c2", 30).await.expect("claim"),
        CodeClaim::Acquired
    );

    // Claims expire.
    assert_eq!(
        store.claim_code("c3", 1).await.expect("claim"),
        CodeClaim::Acquired
    );
    let mut reclaimed = false;
    for _ in 0..40 {
        if store.claim_code("c3", 1).await.expect("claim") == CodeClaim::Acquired {
            reclaimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reclaimed, "an abandoned claim expires");

    // Idle expiry.
    let idle = create(&*store, "o3", "key-I", 1, 3600).await;
    let mut gone = false;
    for _ in 0..40 {
        if store
            .touch_session(&idle.id(), 1)
            .await
            .expect("touch")
            .is_none()
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    assert!(gone, "an idle session expires");

    tokens(&*store).await;
}

#[tokio::test]
async fn memory_store_conforms() {
    suite(Arc::new(MemoryStore::new(LIFETIME))).await;
}

#[tokio::test]
async fn redis_store_conforms_multiplexed() {
    redis_suite(None).await;
}

#[tokio::test]
async fn redis_store_conforms_pooled() {
    redis_suite(Some(4)).await;
}

/// A Redis store on the suite's redis-server under a fresh prefix, with the server's handle
/// (which stops a server the test owns when dropped), its URL and the prefix.
pub fn redis_store(pool: Option<usize>) -> (Arc<dyn Store>, RedisHandle, String, String) {
    let redis = RedisHandle::get();
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let url = redis.url();
    let store = RedisStore::new(
        wxsession::store::Topology::Standalone(&url),
        &prefix,
        pool,
        Duration::from_secs(1),
        LIFETIME,
        None,
    )
    .expect("store");
    (Arc::new(store), redis, url, prefix)
}

async fn redis_suite(pool: Option<usize>) {
    let (store, _redis, url, prefix) = redis_store(pool);
    let store_ref = store.clone();
    suite(store).await;

    // A user who logs in again and again does not grow their entry forever: sessions past
    // their absolute lifetime are pruned at each login.
    for _ in 0..30 {
        create(&*store_ref, "o9", "key-old", 100, -10).await;
    }
    create(&*store_ref, "o9", "key-new", 100, 3600).await;
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

    // Every key it wrote has a TTL.
    let keys = crate::helpers::keys_with_ttl(&url, &prefix).await;
    assert!(!keys.is_empty());
    for (key, ttl) in keys {
        assert!(ttl > 0, "{key} has TTL {ttl}");
    }
}

/// Access tokens, compare-and-delete, refused tokens, locks.
async fn tokens(store: &dyn Store) {
    assert_eq!(store.access_token("wxapp").await.expect("get"), None);
    store
        .put_access_token("wxapp", "T1", 100)
        .await
        .expect("put");
    let (token, ttl) = store
        .access_token("wxapp")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(token, "T1");
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(store.dead_access_token("wxapp").await.expect("dead"), None);
    // Only the current token is dropped; either way it is remembered as refused.
    assert!(
        !store
            .drop_access_token("wxapp", "T0", 60)
            .await
            .expect("drop")
    );
    assert!(store.access_token("wxapp").await.expect("get").is_some());
    assert!(
        store
            .drop_access_token("wxapp", "T1", 60)
            .await
            .expect("drop")
    );
    assert_eq!(store.access_token("wxapp").await.expect("get"), None);
    assert_eq!(
        store
            .dead_access_token("wxapp")
            .await
            .expect("dead")
            .as_deref(),
        Some("T1")
    );
    // Locks: one holder at a time, released explicitly.
    assert!(store.try_lock("l1", 10).await.expect("lock"));
    assert!(!store.try_lock("l1", 10).await.expect("lock"));
    assert!(store.try_lock("l2", 10).await.expect("lock"));
    store.unlock("l1").await.expect("unlock");
    assert!(store.try_lock("l1", 10).await.expect("lock"));
    // A key issued outside a login becomes the newest, the newest so far the previous.
    create(store, "o-reset", "key-A", 100, 3600).await;
    store
        .rotate_user_key("wxapp", "o-reset", "key-B", 3600)
        .await
        .expect("rotate");
    assert_eq!(
        store.user_keys("wxapp", "o-reset").await.expect("keys"),
        vec!["key-B", "key-A"]
    );
}
