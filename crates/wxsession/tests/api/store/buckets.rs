//! A change of `store.buckets` over a real redis-server: replicas of every step of the change
//! share one Redis and none misses a user, a session or a person another one wrote; the
//! conformance suite runs under another count and under both mixed settings.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands as _;
use wxsession::store::layout::{self, UserEntry};
use wxsession::store::{RedisStore, Store, Topology, UnionAccount};

use super::{Backend, LIFETIME, app, conform, create, now_unix, person, user};
use crate::helpers::{ADMIN_TOKEN, APPID, Env, RedisHandle, connect, spawn_on};

/// A store on `url` under `prefix` with `store.buckets` and `store.also_read_buckets`.
fn store(url: &str, prefix: &str, buckets: u32, also_read: Option<u32>) -> Arc<dyn Store> {
    let store = RedisStore::new(
        Topology::Standalone(url),
        prefix,
        None,
        Duration::from_secs(1),
        LIFETIME,
        None,
    )
    .expect("store")
    .with_buckets(buckets, also_read);
    Arc::new(store)
}

/// The user's entry among `buckets` buckets: its keys and how many sessions it lists.
async fn entry_in(url: &str, prefix: &str, buckets: u32, openid: &str) -> Option<UserEntry> {
    let (bucket, field) = layout::user_location_in(prefix, buckets, "wxapp", openid);
    let value: Option<Vec<u8>> = connect(url).await.hget(bucket, field).await.expect("HGET");
    value.map(|v| UserEntry::decode(&v).expect("a well-formed entry"))
}

#[tokio::test]
async fn a_change_of_the_bucket_count_misses_no_user_at_any_step() {
    let redis = RedisHandle::get();
    let url = redis.url();
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    // The steps of docs/src/redis-layout.md, from 4096 buckets to 64.
    let before = store(&url, &prefix, 4096, None);
    let step1 = store(&url, &prefix, 4096, Some(64)); // reads both, writes the old count
    let step2 = store(&url, &prefix, 64, Some(4096)); // writes the new count, reads both
    let after = store(&url, &prefix, 64, None); // `max_lifetime` after step 2 is everywhere
    let (wxapp, a) = (app("wxapp"), user("a"));

    // Logged in before the change: every replica of steps 1 and 2 finds the user.
    let a1 = create(&*before, "a", "key-A1", 100, 3600).await;
    for s in [&step1, &step2] {
        assert_eq!(s.user_keys(&wxapp, &a).await.expect("keys"), ["key-A1"]);
        assert_eq!(s.live_sessions(&wxapp, &a).await.expect("live"), 1);
    }

    // A login on a step-2 replica lands under the new count; both steps see both entries (the
    // most recently written first: within one second, the replica's own count first).
    let a2 = create(&*step2, "a", "key-A2", 100, 3600).await;
    let old = entry_in(&url, &prefix, 4096, "a").await.expect("old entry");
    let new = entry_in(&url, &prefix, 64, "a").await.expect("new entry");
    assert_eq!((old.sessions.len(), new.sessions.len()), (1, 1));
    assert_eq!(new.keys, ["key-A2"]);
    let keys = step2.user_keys(&wxapp, &a).await.expect("keys");
    assert_eq!(keys, ["key-A2", "key-A1"]);
    let mut keys = step1.user_keys(&wxapp, &a).await.expect("keys");
    keys.sort();
    assert_eq!(keys, ["key-A1", "key-A2"]);
    for s in [&step1, &step2] {
        assert_eq!(s.live_sessions(&wxapp, &a).await.expect("live"), 2);
    }

    // A logout on a step-2 replica unlists the session from the old count's entry too.
    assert!(step2.delete_session(&a1.id()).await.expect("delete"));
    let old = entry_in(&url, &prefix, 4096, "a").await.expect("old entry");
    assert!(old.sessions.is_empty(), "{old:?}");
    assert_eq!(step1.live_sessions(&wxapp, &a).await.expect("live"), 1);

    // Log-out-everywhere on a step-1 replica ends what a step-2 replica registered, and the
    // other way round.
    let a3 = create(&*step1, "a", "key-A3", 100, 3600).await;
    assert_eq!(step1.revoke_user(&wxapp, &a).await.expect("revoke"), 2);
    for token in [&a2, &a3] {
        assert_eq!(
            step2.touch_session(&token.id(), 100).await.expect("touch"),
            None
        );
    }
    assert!(step2.user_keys(&wxapp, &a).await.expect("keys").is_empty());
    let b = user("b");
    let b1 = create(&*step1, "b", "key-B1", 100, 3600).await;
    let b2 = create(&*step2, "b", "key-B2", 100, 3600).await;
    assert_eq!(step2.revoke_user(&wxapp, &b).await.expect("revoke"), 2);
    for token in [&b1, &b2] {
        assert_eq!(
            step1.touch_session(&token.id(), 100).await.expect("touch"),
            None
        );
    }

    // After the change a user who logged in during step 2 is found; one who has not logged in
    // since before it is not: why step 3 waits `max_lifetime` after step 2.
    let c = create(&*step2, "c", "key-C", 100, 3600).await;
    assert_eq!(
        after.user_keys(&wxapp, &user("c")).await.expect("keys"),
        ["key-C"]
    );
    assert_eq!(
        after.revoke_user(&wxapp, &user("c")).await.expect("revoke"),
        1
    );
    assert_eq!(
        after.touch_session(&c.id(), 100).await.expect("touch"),
        None
    );
    create(&*before, "d", "key-D", 100, 3600).await;
    assert!(
        after
            .user_keys(&wxapp, &user("d"))
            .await
            .expect("keys")
            .is_empty()
    );
    assert_eq!(
        step1.user_keys(&wxapp, &user("d")).await.expect("keys"),
        ["key-D"]
    );
}

#[tokio::test]
async fn a_persons_accounts_are_read_under_both_counts_during_the_change() {
    let redis = RedisHandle::get();
    let url = redis.url();
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let before = store(&url, &prefix, 4096, None);
    let step2 = store(&url, &prefix, 64, Some(4096));
    let after = store(&url, &prefix, 64, None);
    let p = person("union-M");
    let now = now_unix();
    let account = |appid: &str, openid: &str, last_login: i64| UnionAccount {
        appid: app(appid),
        openid: user(openid),
        last_login,
    };
    let ttl = LIFETIME;
    let first = account("wxapp", "o-1", now - 10);
    before.link_account(&p, &first, ttl).await.expect("link");
    let second = account("wxother", "o-2", now);
    step2.link_account(&p, &second, ttl).await.expect("link");
    // The same account again under the new count: listed once, at its newest login.
    let again = account("wxapp", "o-1", now - 5);
    step2.link_account(&p, &again, ttl).await.expect("link");
    let listed = step2.union_accounts(&p, ttl).await.expect("accounts");
    assert_eq!(listed, [second.clone(), again.clone()]);
    assert_eq!(
        after.union_accounts(&p, ttl).await.expect("accounts"),
        [second, again]
    );
}

#[tokio::test]
async fn redis_store_conforms_under_another_bucket_count_and_while_it_changes() {
    let redis = RedisHandle::get();
    let url = redis.url();
    for buckets in [(64, None), (64, Some(4096)), (4096, Some(64)), (1, None)] {
        conform(&format!("buckets {buckets:?}"), || {
            Backend::redis_in_buckets(Topology::Standalone(&url), vec![url.clone()], None, buckets)
        })
        .await;
    }
}

/// The same through the HTTP API and the settings: a replica before the change and one of step
/// 2 on one Redis; log-out-everywhere on either ends the sessions both registered.
#[tokio::test]
async fn replicas_before_and_during_the_change_log_a_user_out_everywhere() {
    let before = spawn_on(Env::new(), |_| {}).await;
    let env = before.env.clone();
    let step2 = spawn_on(env.clone(), |s| {
        s.store.buckets = 64;
        s.store.also_read_buckets = Some(4096);
    })
    .await;
    let after = spawn_on(env.clone(), |s| s.store.buckets = 64).await;
    let old = before.token("walter").await;
    let new = step2.token("walter").await;
    let openid = wechat_mock::openid_for(APPID, "walter");
    for buckets in [4096, 64] {
        let (bucket, field) = layout::user_location_in(&env.prefix, buckets, APPID, &openid);
        let held: bool = connect(&env.redis.url())
            .await
            .hexists(bucket, field)
            .await
            .expect("HEXISTS");
        assert!(held, "an entry under {buckets} buckets");
    }
    let path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    let revoked: serde_json::Value = step2
        .delete(&path, Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(revoked, serde_json::json!({ "revoked": 2 }));
    for token in [&old, &new] {
        for replica in [&before, &step2, &after] {
            let gone = replica.auth_becomes(token, 401, Duration::from_secs(2));
            assert!(gone.await, "a session alive after log-out-everywhere");
        }
    }
    // A login during step 2 is found once only the new count is read.
    let again = step2.token("walter").await;
    let revoked: serde_json::Value = after
        .delete(&path, Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(revoked, serde_json::json!({ "revoked": 1 }));
    assert!(
        before
            .auth_becomes(&again, 401, Duration::from_secs(2))
            .await
    );
}

/// On a Cluster the buckets of both counts spread over the slots (`{<bucket>}` hash tags); every
/// operation still touches one bucket at a time.
#[tokio::test]
async fn redis_store_conforms_on_a_cluster_while_the_bucket_count_changes() {
    let Some(cluster) = crate::helpers::RedisCluster::start() else {
        return;
    };
    let urls = cluster.urls();
    conform("cluster, buckets 64 also reading 4096", || {
        Backend::redis_in_buckets(
            Topology::Cluster(&urls),
            urls.clone(),
            None,
            (64, Some(4096)),
        )
    })
    .await;
}
