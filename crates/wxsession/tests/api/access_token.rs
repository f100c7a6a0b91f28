//! The access_token shared by every replica (SPEC §9): one fetch for the fleet, one refetch when
//! WeChat refuses it, `force_refresh` only for a token WeChat answers again after refusing it,
//! and the admin endpoints the team's other backends use, with least privilege.

use std::sync::Arc;

use futures::future::join_all;
use secrecy::SecretString;
use serde_json::{Value, json};
use wxsession::settings::{AccessTokenMode, CredentialReaderSettings, Settings};

use crate::helpers::{ADMIN_TOKEN, APPID, Env, TestApp, expect_error, phone_code_for, spawn_on};

const READER: &str = "orders-backend-token-0123456789";

fn with_reader(s: &mut Settings) {
    s.admin.credential_readers = vec![CredentialReaderSettings {
        name: "orders".into(),
        token: Some(SecretString::from(READER)),
        token_file: None,
        apps: None,
    }];
}

async fn three_replicas(env: Arc<Env>) -> [TestApp; 3] {
    [
        spawn_on(env.clone(), with_reader).await,
        spawn_on(env.clone(), with_reader).await,
        spawn_on(env, with_reader).await,
    ]
}

/// Ten phone lookups on each replica at once, each with its own user and code; all 200.
async fn phone_lookups_everywhere(replicas: &[TestApp; 3], round: &str) {
    let mut sessions = Vec::new();
    for (r, app) in replicas.iter().enumerate() {
        for i in 0..10 {
            let user = format!("{round}-{r}-{i}");
            sessions.push((app, app.token(&user).await, user));
        }
    }
    let statuses = join_all(sessions.iter().map(|(app, token, user)| async move {
        app.phone(token, &phone_code_for(user))
            .await
            .status()
            .as_u16()
    }))
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

async fn sum_metric(replicas: &[TestApp], series: &str) -> u64 {
    let mut total = 0;
    for app in replicas {
        let text = app.metrics_text().await;
        total += text
            .lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

#[tokio::test]
async fn the_fleet_fetches_one_token_and_replaces_a_refused_one_once() {
    let env = Env::new();
    let replicas = three_replicas(env.clone()).await;
    phone_lookups_everywhere(&replicas, "a").await;
    assert_eq!(
        env.sim.stats().token_fetches,
        1,
        "one fetch for three replicas"
    );
    assert_eq!(env.sim.stats().phone_requests, 30);

    // Another party refreshed the token: every replica sees 40001 at once.
    replicas[0]
        .sim_post("/__sim/invalidate-token", json!({"appid": APPID}))
        .await;
    phone_lookups_everywhere(&replicas, "b").await;
    let stats = env.sim.stats();
    assert_eq!(stats.token_fetches, 2, "exactly one refetch for the fleet");
    assert_eq!(stats.forced_refreshes, 0);
    let invalidations = format!("wxsession_access_token_invalidations_total{{appid=\"{APPID}\"}}");
    assert_eq!(sum_metric(&replicas, &invalidations).await, 1);
    let fetches =
        format!("wxsession_access_token_fetches_total{{appid=\"{APPID}\",result=\"ok\"}}");
    assert_eq!(sum_metric(&replicas, &fetches).await, 2);
}

#[tokio::test]
async fn a_refused_token_answered_again_is_force_refreshed_once() {
    let env = Env::new();
    let replicas = three_replicas(env.clone()).await;
    phone_lookups_everywhere(&replicas, "a").await;
    // WeChat refuses the token but stable_token keeps answering it.
    replicas[0]
        .sim_post(
            "/__sim/invalidate-token",
            json!({"appid": APPID, "stale": true}),
        )
        .await;
    phone_lookups_everywhere(&replicas, "b").await;
    let stats = env.sim.stats();
    assert_eq!(stats.forced_refreshes, 1, "{stats:?}");
    assert_eq!(
        stats.token_fetches, 3,
        "first fetch, the stale answer, the forced one"
    );
    // The budget: another refusal within 30 s is not force-refreshed again; the lookups fail
    // with 503 and the session stays.
    replicas[1]
        .sim_post(
            "/__sim/invalidate-token",
            json!({"appid": APPID, "stale": true}),
        )
        .await;
    let token = replicas[1].token("budget").await;
    let res = replicas[1].phone(&token, &phone_code_for("budget")).await;
    expect_error(res, 503, "wechat_unavailable").await;
    assert_eq!(env.sim.stats().forced_refreshes, 1);
    assert_eq!(
        replicas[1]
            .get("/v1/auth", Some(&token))
            .await
            .status()
            .as_u16(),
        200
    );
}

async fn read_token(app: &TestApp, credential: &str) -> reqwest::Response {
    app.get(
        &format!("/v1/admin/apps/{APPID}/access-token"),
        Some(credential),
    )
    .await
}

#[tokio::test]
async fn other_backends_read_and_invalidate_the_token_with_least_privilege() {
    let env = Env::new();
    let [a, b, _c] = three_replicas(env.clone()).await;
    let res = read_token(&a, READER).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.expect("json");
    let first = body["access_token"].as_str().expect("token").to_owned();
    assert!(body["expires_in"].as_u64().expect("expires_in") > 6000);
    // The same token from another replica, with the admin token; no new fetch.
    let again: Value = read_token(&b, ADMIN_TOKEN)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["access_token"], first.as_str());
    assert_eq!(env.sim.stats().token_fetches, 1);
    // A reader may do nothing else.
    let res = a
        .delete(
            &format!("/v1/admin/apps/{APPID}/users/oSomeone/sessions"),
            Some(READER),
        )
        .await;
    expect_error(res, 403, "forbidden").await;
    expect_error(
        read_token(&a, "not-a-reader-token-at-all").await,
        403,
        "forbidden",
    )
    .await;
    let res = a
        .get(&format!("/v1/admin/apps/{APPID}/access-token"), None)
        .await;
    expect_error(res, 401, "invalid_session").await;
    let res = a
        .get("/v1/admin/apps/wxunknown/access-token", Some(READER))
        .await;
    expect_error(res, 400, "unknown_app").await;
    // Reporting the token WeChat refused replaces it once for everyone, even though WeChat's
    // stable_token keeps answering it: the replacement is forced.
    let invalidate = format!("/v1/admin/apps/{APPID}/access-token/invalidate");
    for _ in 0..3 {
        let res = b
            .post_json(&invalidate, &json!({"access_token": first}), Some(READER))
            .await;
        assert_eq!(res.status().as_u16(), 204);
    }
    let fresh: Value = read_token(&a, READER).await.json().await.expect("json");
    assert_ne!(fresh["access_token"], first.as_str());
    assert_eq!(env.sim.stats().forced_refreshes, 1);
    // A stale report (not the current token) changes nothing.
    let res = b
        .post_json(&invalidate, &json!({"access_token": first}), Some(READER))
        .await;
    assert_eq!(res.status().as_u16(), 204);
    let same: Value = read_token(&b, READER).await.json().await.expect("json");
    assert_eq!(same["access_token"], fresh["access_token"]);
    let res = b.post_json(&invalidate, &json!({}), Some(READER)).await;
    expect_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn classic_tokens_work_the_same() {
    let env = Env::new();
    let app = spawn_on(env.clone(), |s| {
        s.apps[0].access_token = Some(AccessTokenMode::Classic)
    })
    .await;
    let token = app.token("classic").await;
    assert_eq!(
        app.phone(&token, &phone_code_for("classic"))
            .await
            .status()
            .as_u16(),
        200
    );
    app.sim_post("/__sim/invalidate-token", json!({"appid": APPID}))
        .await;
    assert_eq!(
        app.phone(&token, &phone_code_for("classic"))
            .await
            .status()
            .as_u16(),
        200
    );
    let stats = env.sim.stats();
    assert_eq!((stats.token_fetches, stats.forced_refreshes), (2, 0));
    let text = app.metrics_text().await;
    assert!(
        text.contains("wxsession_wechat_requests_total{api=\"token\",result=\"ok\"} 2"),
        "{text}"
    );
}
