//! `Tokens`: the app's access_token, refused tokens, locks.

use crate::store::{Backend, app};

pub async fn a_token_is_kept_for_its_ttl(b: &Backend) {
    let get = || async { b.store.access_token(&app("wxapp")).await.expect("get") };
    assert_eq!(get().await, None);
    b.store
        .put_access_token(&app("wxapp"), "T1", 100)
        .await
        .expect("put");
    assert_eq!(get().await, Some(("T1".to_owned(), 100)));
    b.pass(40).await;
    assert_eq!(get().await, Some(("T1".to_owned(), 60)));
    b.pass(60).await;
    assert_eq!(get().await, None);
}

pub async fn only_the_current_token_is_dropped_and_the_refused_one_remembered(b: &Backend) {
    let dead = || async {
        b.store
            .dead_access_token(&app("wxapp"))
            .await
            .expect("dead")
    };
    b.store
        .put_access_token(&app("wxapp"), "T1", 100)
        .await
        .expect("put");
    assert_eq!(dead().await, None);
    // Not the current token: kept; either way the refused one is remembered.
    let dropped = b.store.drop_access_token(&app("wxapp"), "T0", 60).await;
    assert!(!dropped.expect("drop"));
    assert!(
        b.store
            .access_token(&app("wxapp"))
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(dead().await.as_deref(), Some("T0"));
    let dropped = b.store.drop_access_token(&app("wxapp"), "T1", 60).await;
    assert!(dropped.expect("drop"));
    assert_eq!(
        b.store.access_token(&app("wxapp")).await.expect("get"),
        None
    );
    assert_eq!(dead().await.as_deref(), Some("T1"));
    b.pass(60).await;
    assert_eq!(dead().await, None);
}

pub async fn a_lock_has_one_holder_until_released_or_expired(b: &Backend) {
    let lock = |name| async move { b.store.try_lock(name, 10).await.expect("lock") };
    let first = lock("l1").await.expect("free: taken");
    assert!(lock("l1").await.is_none());
    assert!(lock("l2").await.is_some());
    // Released by someone else (a replica whose lock ran out): still held.
    let other = wxsession::store::LockOwner::new();
    b.store.unlock("l1", &other).await.expect("unlock");
    assert!(lock("l1").await.is_none());
    b.store.unlock("l1", &first).await.expect("unlock");
    let second = lock("l1").await.expect("released: taken");
    b.pass(9).await;
    assert!(lock("l1").await.is_none());
    b.pass(1).await;
    let third = lock("l1").await.expect("expired: taken");
    // The late release of the taker whose TTL ran out leaves the new holder's lock.
    b.store.unlock("l1", &second).await.expect("unlock");
    assert!(lock("l1").await.is_none());
    b.store.unlock("l1", &third).await.expect("unlock");
    assert!(lock("l1").await.is_some());
}
