//! The Redis store's layout: entries in bucket hashes, dead entries, and what the layout before
//! entries wrote (a hash per user and per person), which is honoured until it expires.

use super::now_unix;
use redis::AsyncCommands as _;
use wxsession::domain::token::Token;
use wxsession::store::UnionAccount;
use wxsession::store::layout::{self, UserEntry};

use super::{LIFETIME, app, create, person, redis_store, user};
use crate::helpers::{connect, user_entry};

#[tokio::test]
async fn what_earlier_versions_wrote_is_still_honoured() {
    let (store, _redis, url, prefix) = redis_store(None);
    let mut conn = connect(&url).await;
    let now = now_unix();
    // A session, its user's hash and its person's hash, as the layout before entries wrote them.
    let old = Token::mint().expect("rng");
    let id = old.id();
    let _: () = conn
        .set_ex(
            format!("{prefix}:s:{}", id.as_str()),
            format!("{now}|wxapp|old-user|union-L"),
            100,
        )
        .await
        .expect("SET");
    let user_hash = format!("{prefix}:u:{{wxapp:old-user}}");
    let _: () = redis::pipe()
        .hset_multiple(
            &user_hash,
            &[
                ("k0", "key-L0".to_owned()),
                ("k1", "key-L1".to_owned()),
                (&format!("s:{}", id.as_str()), (now * 1000).to_string()),
            ],
        )
        .expire(&user_hash, 3600)
        .query_async(&mut conn)
        .await
        .expect("user hash");
    let person_hash = format!("{prefix}:un:{{union-L}}");
    let _: () = redis::pipe()
        .hset(&person_hash, "wxapp:old-user", now - 5)
        .hset(&person_hash, "wxgone:ancient", now - 2 * LIFETIME as i64)
        .expire(&person_hash, 3600)
        .query_async(&mut conn)
        .await
        .expect("person hash");

    assert_eq!(
        store
            .user_keys(&app("wxapp"), &user("old-user"))
            .await
            .expect("keys"),
        vec!["key-L0", "key-L1"]
    );
    assert_eq!(
        store
            .live_sessions(&app("wxapp"), &user("old-user"))
            .await
            .expect("live"),
        1
    );
    let accounts = store
        .union_accounts(&person("union-L"), LIFETIME)
        .await
        .expect("accounts");
    assert_eq!(accounts.len(), 1, "{accounts:?}");

    // New writes go to entries; reads see both layouts, newest first.
    store
        .link_account(
            &person("union-L"),
            &UnionAccount {
                appid: app("wx1234567890abcdef"),
                openid: user("oGZUI0egBJY1zhBYw2KhdUfwVJJE"),
                last_login: now,
            },
            LIFETIME,
        )
        .await
        .expect("link");
    let accounts = store
        .union_accounts(&person("union-L"), LIFETIME)
        .await
        .expect("accounts");
    let ids: Vec<(&str, &str)> = accounts
        .iter()
        .map(|a| (a.appid.as_str(), a.openid.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("wx1234567890abcdef", "oGZUI0egBJY1zhBYw2KhdUfwVJJE"),
            ("wxapp", "old-user")
        ]
    );
    let fresh = create(&*store, "old-user", "key-N", 100, 3600).await;
    assert_eq!(
        store
            .user_keys(&app("wxapp"), &user("old-user"))
            .await
            .expect("keys"),
        vec!["key-N"]
    );
    assert_eq!(
        store
            .live_sessions(&app("wxapp"), &user("old-user"))
            .await
            .expect("live"),
        2
    );

    // Log-out-everywhere reaches the sessions of both layouts and takes the old hash away.
    assert_eq!(
        store
            .revoke_user(&app("wxapp"), &user("old-user"))
            .await
            .expect("revoke"),
        2
    );
    for token in [&old, &fresh] {
        assert_eq!(
            store.touch_session(&token.id(), 100).await.expect("touch"),
            None
        );
    }
    assert!(!conn.exists::<_, bool>(&user_hash).await.expect("EXISTS"));
    assert_eq!(user_entry(&url, &prefix, "wxapp", "old-user").await, None);
}

#[tokio::test]
async fn dead_entries_are_ignored_replaced_and_swept() {
    let (store, _redis, url, prefix) = redis_store(None);
    let mut conn = connect(&url).await;
    create(&*store, "gone", "key-A", 100, 3600).await;
    let (bucket, field) = layout::user_location(&prefix, "wxapp", "gone");
    let mut value: Vec<u8> = conn.hget(&bucket, &field).await.expect("HGET");
    // The entry's last write, moved back past the lifetime: it is dead.
    let long_ago = u32::try_from(now_unix() - LIFETIME as i64 - 1).expect("u32");
    value.splice(..4, long_ago.to_be_bytes());
    let _: () = conn.hset(&bucket, &field, &value).await.expect("HSET");
    assert!(UserEntry::decode(&value).is_some());
    assert!(
        store
            .user_keys(&app("wxapp"), &user("gone"))
            .await
            .expect("keys")
            .is_empty()
    );
    assert_eq!(
        store
            .live_sessions(&app("wxapp"), &user("gone"))
            .await
            .expect("live"),
        0
    );

    // A login replaces it whole: the dead key is not kept as the previous one.
    create(&*store, "gone", "key-B", 100, 3600).await;
    let entry = user_entry(&url, &prefix, "wxapp", "gone")
        .await
        .expect("entry");
    assert_eq!(entry.keys, vec!["key-B"]);
    assert_eq!(entry.sessions.len(), 1);

    // Dead entries of other users in the bucket are dropped by the writes that create an entry
    // (each samples two others); a write to a live entry leaves them.
    let _: () = conn
        .hset_multiple(&bucket, &[("dead-1", &value), ("dead-2", &value)])
        .await
        .expect("HSET");
    create(&*store, "gone", "key-B", 100, 3600).await;
    assert_eq!(conn.hlen::<_, u64>(&bucket).await.expect("HLEN"), 3);
    for _ in 0..2 {
        store
            .revoke_user(&app("wxapp"), &user("gone"))
            .await
            .expect("revoke");
        create(&*store, "gone", "key-B", 100, 3600).await;
    }
    let fields: Vec<Vec<u8>> = conn.hkeys(&bucket).await.expect("HKEYS");
    assert_eq!(fields, vec![field], "the dead entries were swept");
    let ttl: i64 = conn.ttl(&bucket).await.expect("TTL");
    assert!(ttl > 0 && ttl <= LIFETIME as i64, "{ttl}");
}
