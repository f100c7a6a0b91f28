//! Rust and the entry script agree on every blob tag and entry format, on a real Redis: entries
//! the script writes from Rust's blobs decode in Rust, entries of format 1 are read and edited,
//! and an entry of a format newer than this release reads is refused, never rewritten.

use super::now_unix;
use wxsession::domain::ids::{AppId, OpenId};
use wxsession::store::UnionAccount;
use wxsession::store::layout::{self, UnionEntry, UserEntry, format};

use super::{LIFETIME, app, person, redis_store, user};
use crate::helpers::{connect, user_entry};

/// One text of each shape a blob stores: every packing tag, plain text, the longest plain
/// text, and the empty one where it is allowed.
const SHAPES: &[&str] = &[
    "wx1234567890abcdef",
    "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
    "tiihtNczf5v6AKRyjwEUhQ==",
    "e1.0a1b2c3d.sealed-text",
    "wxapp",
];

async fn hget(url: &str, key: &str, field: &[u8]) -> Option<Vec<u8>> {
    let mut conn = connect(url).await;
    redis::cmd("HGET")
        .arg(key)
        .arg(field)
        .query_async(&mut conn)
        .await
        .expect("HGET")
}

async fn hset(url: &str, key: &str, field: &[u8], value: &[u8]) {
    let mut conn = connect(url).await;
    let _: () = redis::cmd("HSET")
        .arg(key)
        .arg(field)
        .arg(value)
        .query_async(&mut conn)
        .await
        .expect("HSET");
}

#[tokio::test]
async fn every_blob_tag_round_trips_rust_lua_rust() {
    let (store, _redis, url, prefix) = redis_store(None);
    let longest = "x".repeat(0x7f);
    let shapes: Vec<&str> = SHAPES.iter().copied().chain([longest.as_str()]).collect();
    // Keys: each rotation makes the script parse the entry's two key blobs and write them back.
    for key in &shapes {
        store
            .rotate_user_key(&app("wxapp"), &user("tags"), key, LIFETIME)
            .await
            .expect("rotate");
    }
    let keys = store
        .user_keys(&app("wxapp"), &user("tags"))
        .await
        .expect("keys");
    assert_eq!(keys, vec![longest.clone(), SHAPES[4].to_owned()]);
    // Accounts: each link makes the script walk every account's appid and openid blobs. The
    // blobs must carry any text, so these ids are built without the id rule (`from_stored`).
    for (i, appid) in shapes.iter().enumerate() {
        let account = UnionAccount {
            appid: AppId::from_stored(appid),
            openid: OpenId::from_stored(shapes[(i + 1) % shapes.len()]),
            last_login: now_unix() - 10 + i as i64,
        };
        store
            .link_account(&person("union-tags"), &account, LIFETIME)
            .await
            .expect("link");
    }
    let (bucket, field) = layout::union_location(&prefix, "union-tags");
    let raw = hget(&url, &bucket, &field).await.expect("an entry");
    let entry = UnionEntry::decode(&raw).expect("Rust reads what the script wrote");
    let appids: Vec<&str> = entry.accounts.iter().map(|a| a.appid.as_str()).collect();
    assert_eq!(appids, shapes);
}

#[tokio::test]
async fn format_1_entries_are_read_and_newer_ones_left_alone() {
    let (store, _redis, url, prefix) = redis_store(None);
    store
        .rotate_user_key(
            &app("wxapp"),
            &user("v1"),
            "tiihtNczf5v6AKRyjwEUhQ==",
            LIFETIME,
        )
        .await
        .expect("rotate");
    let (bucket, field) = layout::user_location(&prefix, "wxapp", "v1");
    let v0 = hget(&url, &bucket, &field).await.expect("an entry");
    assert_ne!(
        v0.first(),
        Some(&format::MARKER),
        "this release writes format 0"
    );
    // The same entry in format 1, as the release after the expand will write it.
    let mut v1 = format::header(1);
    v1.extend(&v0);
    hset(&url, &bucket, &field, &v1).await;
    assert_eq!(
        user_entry(&url, &prefix, "wxapp", "v1").await,
        UserEntry::decode(&v0)
    );
    store
        .rotate_user_key(
            &app("wxapp"),
            &user("v1"),
            "e1.0a1b2c3d.sealed-text",
            LIFETIME,
        )
        .await
        .expect("the script edits a format-1 entry");
    let keys = store
        .user_keys(&app("wxapp"), &user("v1"))
        .await
        .expect("keys");
    assert_eq!(
        keys,
        ["e1.0a1b2c3d.sealed-text", "tiihtNczf5v6AKRyjwEUhQ=="]
    );
    // A format from the future: refused by reads and writes, and left as it is.
    let mut v9 = vec![format::MARKER, format::NEWEST + 1];
    v9.extend(&v0);
    hset(&url, &bucket, &field, &v9).await;
    assert!(
        store
            .rotate_user_key(
                &app("wxapp"),
                &user("v1"),
                "tiihtNczf5v6AKRyjwEUhQ==",
                LIFETIME
            )
            .await
            .is_err()
    );
    assert_eq!(hget(&url, &bucket, &field).await, Some(v9));
}

#[tokio::test]
async fn reads_of_the_layout_before_entries_are_counted() {
    let (store, _redis, url, prefix) = redis_store(None);
    let counter = prometheus::IntCounterVec::new(
        prometheus::Opts::new("old_layout_reads", "test"),
        &["kind"],
    )
    .expect("counter");
    store.count_old_layout_reads(counter.clone());
    let count = || counter.with_label_values(&["user"]).get();
    // A user of this layout: no count.
    store
        .rotate_user_key(
            &app("wxapp"),
            &user("new-user"),
            "tiihtNczf5v6AKRyjwEUhQ==",
            LIFETIME,
        )
        .await
        .expect("rotate");
    assert_eq!(
        store
            .user_keys(&app("wxapp"), &user("new-user"))
            .await
            .expect("keys")
            .len(),
        1
    );
    assert_eq!(count(), 0);
    // A user whose keys only the hash of the layout before entries holds.
    let mut conn = connect(&url).await;
    let _: () = redis::cmd("HSET")
        .arg(format!("{prefix}:u:{{wxapp:old-user}}"))
        .arg("k0")
        .arg("tiihtNczf5v6AKRyjwEUhQ==")
        .query_async(&mut conn)
        .await
        .expect("HSET");
    assert_eq!(
        store
            .user_keys(&app("wxapp"), &user("old-user"))
            .await
            .expect("keys")
            .len(),
        1
    );
    assert_eq!(count(), 1);
}
