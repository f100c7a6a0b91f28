//! What the team's other backends may do with the access_token, and how often: a credential
//! reader scoped to some apps is refused on the others, and the `force_refresh`es its
//! invalidations cause are bounded per app per UTC day across the fleet; a token in its last
//! minute is refreshed once, behind the answer.

use std::time::Duration;

use redis::AsyncCommands as _;
use secrecy::SecretString;
use serde_json::{Value, json};
use wxsession::settings::{CredentialReaderSettings, Settings};

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, OTHER_APPID, OTHER_SECRET, TestApp, app, eventually, expect_error,
    spawn_on,
};

const ORDERS: &str = "orders-backend-token-0123456789";
const BILLING: &str = "billing-backend-token-0123456789";

/// Two apps; `orders` reads every app (no `apps`), `billing` only the second one.
fn two_apps_two_readers(s: &mut Settings) {
    s.apps.push(app(OTHER_APPID, OTHER_SECRET));
    s.admin.credential_readers = vec![
        CredentialReaderSettings {
            name: "orders".into(),
            token: Some(SecretString::from(ORDERS)),
            token_file: None,
            apps: None,
        },
        CredentialReaderSettings {
            name: "billing".into(),
            token: Some(SecretString::from(BILLING)),
            token_file: None,
            apps: Some(vec![OTHER_APPID.into()]),
        },
    ];
}

fn read_path(appid: &str) -> String {
    format!("/v1/admin/apps/{appid}/access-token")
}

fn invalidate_path(appid: &str) -> String {
    format!("/v1/admin/apps/{appid}/access-token/invalidate")
}

async fn current_token(app: &TestApp, appid: &str, credential: &str) -> String {
    let res = app.get(&read_path(appid), Some(credential)).await;
    assert_eq!(res.status().as_u16(), 200, "reading {appid}'s token");
    let body: Value = res.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn a_reader_scoped_to_some_apps_is_refused_on_the_others() {
    let env = Env::new();
    let svc = spawn_on(env.clone(), two_apps_two_readers).await;
    // The unscoped reader and the admin read every app, as before.
    let first = current_token(&svc, APPID, ORDERS).await;
    assert_eq!(current_token(&svc, APPID, ADMIN_TOKEN).await, first);
    let other = current_token(&svc, OTHER_APPID, ORDERS).await;
    // The scoped reader reads its own app...
    assert_eq!(current_token(&svc, OTHER_APPID, BILLING).await, other);
    // ...and nothing of the other one: neither read nor invalidate.
    expect_error(
        svc.get(&read_path(APPID), Some(BILLING)).await,
        403,
        "forbidden",
    )
    .await;
    let res = svc
        .post_json(
            &invalidate_path(APPID),
            &json!({"access_token": first}),
            Some(BILLING),
        )
        .await;
    expect_error(res, 403, "forbidden").await;
    // The refused invalidation changed nothing: the same token, no new fetch.
    assert_eq!(current_token(&svc, APPID, ORDERS).await, first);
    assert_eq!(env.sim.stats().token_fetches, 2, "one fetch per app");
    // Its own app's invalidation still works.
    let res = svc
        .post_json(
            &invalidate_path(OTHER_APPID),
            &json!({"access_token": other}),
            Some(BILLING),
        )
        .await;
    assert_eq!(res.status().as_u16(), 204);
}

/// Seconds from now to the next 00:00 UTC.
fn until_next_utc_day() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    86_400 - now % 86_400
}

#[tokio::test]
async fn invalidations_force_refresh_at_most_the_daily_budget_across_the_fleet() {
    let env = Env::new();
    let budget = |s: &mut Settings| {
        two_apps_two_readers(s);
        s.wechat.force_refresh_per_app_per_day = 2;
    };
    let a = spawn_on(env.clone(), budget).await;
    let b = spawn_on(env.clone(), budget).await;
    // WeChat spaces force_refresh 30 s apart, and so does the service (a lock per app); the
    // test lifts that lock between rounds to reach the daily budget.
    let lock = format!("{}:lk:at-force:{APPID}", env.prefix);
    let mut redis = a.redis().await;
    let mut token = current_token(&a, APPID, ORDERS).await;
    // Each report of the current token is answered by stable_token with the same token, so
    // each replacement is forced: two of them, one per replica, fit the budget.
    for (round, svc) in [&a, &b].into_iter().enumerate() {
        let res = svc
            .post_json(
                &invalidate_path(APPID),
                &json!({"access_token": token}),
                Some(ORDERS),
            )
            .await;
        assert_eq!(res.status().as_u16(), 204);
        let fresh = current_token(svc, APPID, ORDERS).await;
        assert_ne!(fresh, token, "round {round}: replaced");
        token = fresh;
        let _: () = redis.del(&lock).await.expect("lock lifted");
    }
    assert_eq!(env.sim.stats().forced_refreshes, 2);
    // The third is refused until the next UTC day, on either replica, and no force_refresh is
    // sent.
    let res = a
        .post_json(
            &invalidate_path(APPID),
            &json!({"access_token": token}),
            Some(ORDERS),
        )
        .await;
    assert_eq!(res.status().as_u16(), 204);
    for svc in [&a, &b] {
        let res = svc.get(&read_path(APPID), Some(ORDERS)).await;
        let retry_after: u64 = res.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        let expected = until_next_utc_day();
        assert!(
            retry_after.abs_diff(expected) <= 5,
            "Retry-After {retry_after}, next UTC day in {expected}"
        );
        expect_error(res, 503, "wechat_unavailable").await;
        let _: () = redis.del(&lock).await.expect("lock lifted");
    }
    assert_eq!(env.sim.stats().forced_refreshes, 2);
    // The budget is the app's: the other app's token is still replaced by force.
    let other = current_token(&a, OTHER_APPID, BILLING).await;
    let res = b
        .post_json(
            &invalidate_path(OTHER_APPID),
            &json!({"access_token": other}),
            Some(BILLING),
        )
        .await;
    assert_eq!(res.status().as_u16(), 204);
    assert_ne!(current_token(&b, OTHER_APPID, BILLING).await, other);
    assert_eq!(env.sim.stats().forced_refreshes, 3);
}

async fn read_body(app: &TestApp) -> Value {
    let res = app.get(&read_path(APPID), Some(ADMIN_TOKEN)).await;
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.expect("json")
}

/// Refresh ahead of expiry, on the test clock: a token with less than a minute left is still
/// answered, and one refresh runs behind it.
#[tokio::test]
async fn a_token_in_its_last_minute_is_refreshed_once_in_the_background() {
    let env = Env::new();
    let svc = spawn_on(env.clone(), |_| {}).await;
    let first = read_body(&svc).await;
    let token = first["access_token"].as_str().expect("token").to_owned();
    let ttl = first["expires_in"].as_u64().expect("expires_in");
    // Until its last minute, reads are served from the store.
    env.pass(Duration::from_secs(ttl - 61)).await;
    let body = read_body(&svc).await;
    assert_eq!(body["expires_in"], 61, "{body}");
    assert_eq!(env.sim.stats().token_fetches, 1);
    // In its last minute, the stored token is answered and refreshed behind the answer.
    env.pass(Duration::from_secs(2)).await;
    let body = read_body(&svc).await;
    assert_eq!(
        (body["access_token"].as_str(), body["expires_in"].as_u64()),
        (Some(token.as_str()), Some(59))
    );
    let refreshed = eventually(Duration::from_secs(5), || async {
        read_body(&svc).await["expires_in"].as_u64() > Some(6000)
    })
    .await;
    assert!(refreshed, "the token was refreshed ahead of its end");
    assert_eq!(env.sim.stats().token_fetches, 2);
}
