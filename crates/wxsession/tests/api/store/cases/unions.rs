//! `Unions`: the unionid index, and the live sessions of an account.

use wxsession::store::UnionAccount;

use crate::store::{Backend, LIFETIME, app, person, user};

fn account(appid: &str, openid: &str, last_login: i64) -> UnionAccount {
    UnionAccount {
        appid: app(appid),
        openid: user(openid),
        last_login,
    }
}

/// Links `(appid, openid)` to `u1` as logged in now, the index living `ttl` seconds.
async fn link(b: &Backend, appid: &str, openid: &str, ttl: u64) {
    let account = account(appid, openid, b.now());
    let u1 = person("u1");
    let linked = b.store.link_account(&u1, &account, ttl);
    linked.await.expect("link");
}

async fn accounts(b: &Backend, ttl: u64) -> Vec<(String, String)> {
    let listed = b
        .store
        .union_accounts(&person("u1"), ttl)
        .await
        .expect("accounts");
    listed
        .into_iter()
        .map(|a| (a.appid.to_string(), a.openid.to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, o)| ((*a).to_owned(), (*o).to_owned()))
        .collect()
}

pub async fn accounts_are_listed_newest_login_first_once_each(b: &Backend) {
    assert!(accounts(b, LIFETIME).await.is_empty());
    link(b, "wxa", "oa", LIFETIME).await;
    b.pass(5).await;
    link(b, "wxb", "ob", LIFETIME).await;
    assert_eq!(
        accounts(b, LIFETIME).await,
        pairs(&[("wxb", "ob"), ("wxa", "oa")])
    );
    b.pass(5).await;
    link(b, "wxa", "oa", LIFETIME).await;
    assert_eq!(
        accounts(b, LIFETIME).await,
        pairs(&[("wxa", "oa"), ("wxb", "ob")])
    );
    let listed = b
        .store
        .union_accounts(&person("u1"), LIFETIME)
        .await
        .expect("accounts");
    assert_eq!(listed.first().map(|a| a.last_login), Some(b.now()));
    let other = b
        .store
        .union_accounts(&person("u2"), LIFETIME)
        .await
        .expect("accounts");
    assert!(other.is_empty());
}

pub async fn accounts_not_seen_within_the_ttl_are_pruned(b: &Backend) {
    link(b, "wxa", "oa", 100).await;
    b.pass(50).await;
    link(b, "wxb", "ob", 100).await;
    b.pass(49).await;
    assert_eq!(
        accounts(b, 100).await,
        pairs(&[("wxb", "ob"), ("wxa", "oa")])
    );
    b.pass(1).await;
    assert_eq!(accounts(b, 100).await, pairs(&[("wxb", "ob")]));
    b.pass(50).await;
    assert!(accounts(b, 100).await.is_empty());
}

pub async fn live_sessions_counts_the_users_live_sessions(b: &Backend) {
    let live = |openid| async move {
        b.store
            .live_sessions(&app("wxapp"), &user(openid))
            .await
            .expect("live")
    };
    let first = b.login("o1", "key-A", 100).await;
    b.login("o1", "key-A", 100).await;
    b.login("o1", "key-A", 5).await;
    b.login("o2", "key-X", 100).await;
    assert_eq!(live("o1").await, 3);
    assert!(b.store.delete_session(&first.id).await.expect("delete"));
    assert_eq!(live("o1").await, 2);
    b.pass(5).await;
    assert_eq!(live("o1").await, 1);
    assert_eq!((live("o2").await, live("nobody").await), (1, 0));
}
