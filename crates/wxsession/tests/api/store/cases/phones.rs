//! `Phones`: remembered (sealed) phone numbers and quota readings.

use crate::store::{Backend, app, user};

pub async fn a_remembered_number_lives_its_ttl_and_can_be_forgotten(b: &Backend) {
    let (a, o) = (app("wxapp"), user("o1"));
    let get = || async { b.store.remembered_phone(&a, &o).await.expect("get") };
    assert_eq!(get().await, None);
    assert!(!b.store.forget_phone(&a, &o).await.expect("forget"));
    b.store
        .remember_phone(&a, &o, b"sealed-1", 100)
        .await
        .expect("remember");
    assert_eq!(get().await.as_deref(), Some(&b"sealed-1"[..]));
    // Another user of the app, or the same openid in another app, has none.
    let other = b
        .store
        .remembered_phone(&a, &user("o2"))
        .await
        .expect("get");
    assert_eq!(other, None);
    let elsewhere = b.store.remembered_phone(&app("wxother"), &o).await;
    assert_eq!(elsewhere.expect("get"), None);
    // A new verification replaces the number and restarts its life.
    b.pass(60).await;
    b.store
        .remember_phone(&a, &o, b"sealed-2", 100)
        .await
        .expect("remember");
    b.pass(60).await;
    assert_eq!(get().await.as_deref(), Some(&b"sealed-2"[..]));
    assert!(b.store.forget_phone(&a, &o).await.expect("forget"));
    assert_eq!(get().await, None);
    b.store
        .remember_phone(&a, &o, b"sealed-3", 10)
        .await
        .expect("remember");
    b.pass(10).await;
    assert_eq!(get().await, None);
}

pub async fn log_out_everywhere_leaves_the_number(b: &Backend) {
    let login = b.login("o1", "key-1", 100).await;
    b.store
        .remember_phone(&app("wxapp"), &user("o1"), b"sealed", 1000)
        .await
        .expect("remember");
    let revoked = b.store.revoke_user(&app("wxapp"), &user("o1")).await;
    assert_eq!(revoked.expect("revoke"), 1);
    assert!(!b.alive(&login, 100).await);
    let kept = b.store.remembered_phone(&app("wxapp"), &user("o1")).await;
    assert_eq!(kept.expect("get").as_deref(), Some(&b"sealed"[..]));
}

pub async fn a_quota_reading_is_kept_for_its_ttl(b: &Backend) {
    let get = |id| async move { b.store.phone_quota(&app(id)).await.expect("get") };
    assert_eq!(get("wxapp").await, None);
    b.store
        .put_phone_quota(&app("wxapp"), b"v1|10|1", 60)
        .await
        .expect("put");
    b.store
        .put_phone_quota(&app("wxapp"), b"v1|9|2", 60)
        .await
        .expect("put");
    assert_eq!(get("wxapp").await.as_deref(), Some(&b"v1|9|2"[..]));
    assert_eq!(get("wxother").await, None);
    b.pass(60).await;
    assert_eq!(get("wxapp").await, None);
}
