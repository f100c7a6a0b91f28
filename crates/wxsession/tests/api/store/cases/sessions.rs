//! `Sessions`: create, touch, delete, revoke, keys, the bound per user, idle and absolute expiry.

use wxsession::domain::token::Token;

use crate::store::{Backend, LIFETIME, app, user};

pub async fn a_session_is_found_and_its_idle_ttl_renewed(b: &Backend) {
    let login = b.login("o1", "key-A", 100).await;
    b.pass(40).await;
    let found = b.store.touch_session(&login.id, 100).await.expect("touch");
    let found = found.expect("found");
    assert_eq!((&found.record, found.ttl_secs), (&login.record, 100));
    // Renewed at the touch: alive 99 s later.
    b.pass(99).await;
    assert!(b.alive(&login, 100).await);
    let stranger = Token::mint().expect("rng").id();
    let touched = b.store.touch_session(&stranger, 100).await.expect("touch");
    assert_eq!(touched, None);
}

pub async fn an_idle_session_dies_after_its_idle_ttl(b: &Backend) {
    let login = b.login("o1", "key-A", 10).await;
    b.pass(9).await;
    assert!(b.alive(&login, 10).await);
    b.pass(10).await;
    assert!(!b.alive(&login, 10).await);
    assert!(!b.store.delete_session(&login.id).await.expect("delete"));
}

pub async fn use_never_extends_a_session_past_its_deadline(b: &Backend) {
    // An idle TTL longer than the lifetime: only the deadline ends the session.
    let idle = 2 * LIFETIME;
    let login = b.login("o1", "key-A", idle).await;
    b.pass(LIFETIME - 50).await;
    let found = b.store.touch_session(&login.id, idle).await.expect("touch");
    assert_eq!(found.expect("found").ttl_secs, 50);
    b.pass(50).await;
    assert!(!b.alive(&login, idle).await);
}

pub async fn the_clock_decides_a_session_past_its_deadline_is_dead(b: &Backend) {
    let login = b.login("o1", "key-A", 2 * LIFETIME).await;
    // Redis still holds the session; the service's clock says its life is over.
    b.advance_clock(LIFETIME - 1);
    assert!(b.alive(&login, 100).await);
    b.advance_clock(1);
    assert!(!b.alive(&login, 100).await);
}

pub async fn delete_says_whether_the_session_existed(b: &Backend) {
    let first = b.login("o1", "key-A", 100).await;
    let second = b.login("o1", "key-A", 100).await;
    assert!(b.store.delete_session(&first.id).await.expect("delete"));
    assert!(!b.store.delete_session(&first.id).await.expect("delete"));
    assert!(!b.alive(&first, 100).await);
    assert!(b.alive(&second, 100).await);
    let count = b
        .store
        .live_sessions(&app("wxapp"), &user("o1"))
        .await
        .expect("count");
    assert_eq!(count, 1);
}

pub async fn revoke_ends_every_session_of_the_user_and_drops_the_keys(b: &Backend) {
    let mine = [
        b.login("o1", "key-A", 100).await,
        b.login("o1", "key-B", 100).await,
        b.login("o1", "key-C", 100).await,
    ];
    let theirs = b.login("o2", "key-X", 100).await;
    let [deleted, ..] = &mine;
    assert!(b.store.delete_session(&deleted.id).await.expect("delete"));
    assert_eq!(
        b.store
            .revoke_user(&app("wxapp"), &user("o1"))
            .await
            .expect("revoke"),
        2
    );
    for login in &mine {
        assert!(!b.alive(login, 100).await);
    }
    assert!(
        b.store
            .user_keys(&app("wxapp"), &user("o1"))
            .await
            .expect("keys")
            .is_empty()
    );
    assert!(b.alive(&theirs, 100).await);
    assert_eq!(
        b.store
            .user_keys(&app("wxapp"), &user("o2"))
            .await
            .expect("keys"),
        ["key-X"]
    );
    assert_eq!(
        b.store
            .revoke_user(&app("wxapp"), &user("nobody"))
            .await
            .expect("revoke"),
        0
    );
}

pub async fn logins_keep_the_two_newest_keys(b: &Backend) {
    let keys = || async {
        b.store
            .user_keys(&app("wxapp"), &user("o1"))
            .await
            .expect("keys")
    };
    b.login("o1", "key-A", 100).await;
    assert_eq!(keys().await, ["key-A"]);
    b.login("o1", "key-B", 100).await;
    assert_eq!(keys().await, ["key-B", "key-A"]);
    b.login("o1", "key-C", 100).await;
    assert_eq!(keys().await, ["key-C", "key-B"]);
    // The same key twice does not push the previous one out.
    b.login("o1", "key-C", 100).await;
    assert_eq!(keys().await, ["key-C", "key-B"]);
}

pub async fn a_key_issued_outside_a_login_becomes_the_newest(b: &Backend) {
    let keys = |openid| async move {
        b.store
            .user_keys(&app("wxapp"), &user(openid))
            .await
            .expect("keys")
    };
    b.login("o1", "key-A", 100).await;
    let (wxapp, o1, o2) = (app("wxapp"), user("o1"), user("o2"));
    let rotate = b.store.rotate_user_key(&wxapp, &o1, "key-B", LIFETIME);
    rotate.await.expect("rotate");
    assert_eq!(keys("o1").await, ["key-B", "key-A"]);
    // A user without an entry gets one holding the key, for the given TTL.
    let rotate = b.store.rotate_user_key(&wxapp, &o2, "key-R", 100);
    rotate.await.expect("rotate");
    assert_eq!(keys("o2").await, ["key-R"]);
}

pub async fn the_oldest_sessions_beyond_the_bound_are_revoked(b: &Backend) {
    let first = b.login_bounded("o1", "key-A", 100, 2).await;
    b.pass(1).await;
    let second = b.login_bounded("o1", "key-A", 100, 2).await;
    b.pass(1).await;
    let third = b.login_bounded("o1", "key-A", 100, 2).await;
    assert!(!b.alive(&first, 100).await);
    assert!(b.alive(&second, 100).await);
    assert!(b.alive(&third, 100).await);
    let count = b
        .store
        .live_sessions(&app("wxapp"), &user("o1"))
        .await
        .expect("count");
    assert_eq!(count, 2);
}

pub async fn sessions_dead_of_idleness_make_room_before_live_ones(b: &Backend) {
    let idle = b.login_bounded("o1", "key-A", 5, 2).await;
    let busy = b.login_bounded("o1", "key-A", 100, 2).await;
    b.pass(5).await;
    let newest = b.login_bounded("o1", "key-A", 100, 2).await;
    assert!(!b.alive(&idle, 100).await);
    assert!(b.alive(&busy, 100).await, "a live session was evicted");
    assert!(b.alive(&newest, 100).await);
}

pub async fn a_users_keys_die_a_lifetime_after_the_last_login(b: &Backend) {
    b.login("o1", "key-A", 100).await;
    b.advance_clock(LIFETIME - 1);
    assert_eq!(
        b.store
            .user_keys(&app("wxapp"), &user("o1"))
            .await
            .expect("keys"),
        ["key-A"]
    );
    b.advance_clock(1);
    assert!(
        b.store
            .user_keys(&app("wxapp"), &user("o1"))
            .await
            .expect("keys")
            .is_empty()
    );
}
