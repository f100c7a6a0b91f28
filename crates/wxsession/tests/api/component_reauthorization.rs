//! `61023` over real Redis and the simulator: the merchant authorized again but the push never
//! arrived, so the refresh token the service holds is dead. The first call that needs a new
//! authorizer token gets `61023`: the app becomes `reauthorization_required` on every replica,
//! its logins, phone and key calls and its token route answer `403 app_unauthorized` with no
//! further WeChat call, the failure is counted once; authorizing again brings it back.

use std::time::Duration;

use serde_json::{Value, json};

use crate::component::{authorize, deliver_ticket, login, sim, sim_switch, with_platform};
use crate::helpers::{
    ADMIN_TOKEN, Env, MERCHANTS, TestApp, eventually, expect_error, phone_code_for, spawn_on,
};

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

async fn status_of(app: &TestApp, merchant: &str) -> String {
    let res = app
        .get(&format!("/v1/admin/apps/{merchant}"), Some(ADMIN_TOKEN))
        .await;
    let view: Value = res.json().await.expect("json");
    view["status"].as_str().unwrap_or_default().to_owned()
}

fn refresh_attempts(env: &Env, merchant: &str) -> u64 {
    let stats = env.sim.component_stats().expect("platform");
    stats
        .authorizer_token_fetches
        .get(merchant)
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_refused_refresh_token_stops_the_merchant_until_it_authorizes_again() {
    let env = Env::new();
    let a = spawn_on(env.clone(), with_platform).await;
    let b = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &a).await;
    let merchant = MERCHANTS[0];
    authorize(&env, &a, merchant).await;
    let (status, session) = login(&a, merchant, "cleo").await;
    assert_eq!(status, 201, "{session}");
    let token = session["session"].as_str().expect("token").to_owned();
    let openid = wechat_mock::openid_for(merchant, "cleo");

    // Users on both replicas (the second one serves the merchant once it follows the registry).
    let served = eventually(Duration::from_secs(2), || async {
        login(&b, merchant, "warm").await.0 == 201
    })
    .await;
    assert!(served, "the second replica serves the merchant");
    let mut users = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 { &a } else { &b };
        let user = format!("u{i}");
        let (status, body) = login(app, merchant, &user).await;
        assert_eq!(status, 201, "{body}");
        users.push((
            app,
            user,
            body["session"].as_str().expect("token").to_owned(),
        ));
    }

    // The merchant authorizes again at WeChat; the push is lost. WeChat killed its tokens and
    // its old refresh token.
    sim(&env, "authorize", json!({ "appid": merchant })).await;
    let before = refresh_attempts(&env, merchant);
    // Phone calls at once on both replicas: the token is refused (40001), the one refresh the
    // fleet makes is refused (61023), and every call answers 403.
    let answers = futures::future::join_all(users.iter().map(|(app, user, token)| async move {
        let res = app.phone(token, &phone_code_for(user)).await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        (
            status,
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }))
    .await;
    for answer in &answers {
        assert_eq!(answer, &(403, "app_unauthorized".to_owned()));
    }
    assert_eq!(
        refresh_attempts(&env, merchant) - before,
        1,
        "one refresh for the fleet"
    );
    let mut failures = 0.0;
    let mut failed_fetches = 0.0;
    for app in [&a, &b] {
        let metrics = app.operator_metrics_text().await;
        failures += metric(&metrics, "wxsession_component_refresh_token_failures_total");
        failed_fetches += metric(
            &metrics,
            "wxsession_component_token_fetches_total{kind=\"authorizer\",result=\"failed\"}",
        );
        let series = "wxsession_apps{source=\"component\",status=\"reauthorization_required\"}";
        let counted = eventually(Duration::from_secs(2), || async {
            metric(&app.operator_metrics_text().await, series) == 1.0
        })
        .await;
        assert!(
            counted,
            "every replica counts the app as reauthorization_required"
        );
    }
    assert_eq!((failures, failed_fetches), (1.0, 1.0), "counted once");

    // Every replica: the status, logins and the merchant's token route refused.
    for app in [&a, &b] {
        assert_eq!(status_of(app, merchant).await, "reauthorization_required");
        let refused = eventually(Duration::from_secs(2), || async {
            login(app, merchant, "dora").await.0 == 403
        })
        .await;
        assert!(refused, "logins answer 403 on every replica");
        let (_, body) = login(app, merchant, "dora").await;
        assert_eq!(body["error"]["code"], "app_unauthorized");
        let res = app
            .get(
                &format!("/v1/admin/apps/{merchant}/access-token"),
                Some(ADMIN_TOKEN),
            )
            .await;
        expect_error(res, 403, "app_unauthorized").await;
    }
    let res = a.get("/v1/sessions/current/key-status", Some(&token)).await;
    expect_error(res, 403, "app_unauthorized").await;
    let reset = format!("/v1/admin/apps/{merchant}/users/{openid}/session-key/reset");
    let res = a.post_json(&reset, &json!({}), Some(ADMIN_TOKEN)).await;
    expect_error(res, 403, "app_unauthorized").await;
    // A live session stays (the user did nothing wrong): data decrypts without WeChat.
    let enc = a
        .sim_encrypt(merchant, "cleo", json!({"x": 1}), "current")
        .await;
    let res = a
        .post_json("/v1/sessions/current/decrypt", &enc, Some(&token))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    // Nothing asked WeChat for a token again, and the failure was counted once.
    assert_eq!(refresh_attempts(&env, merchant) - before, 1);
    let mut failures = 0.0;
    for app in [&a, &b] {
        let metrics = app.operator_metrics_text().await;
        failures += metric(&metrics, "wxsession_component_refresh_token_failures_total");
    }
    assert_eq!(failures, 1.0);

    // The merchant authorizes again and the push arrives: active, and everything works.
    authorize(&env, &b, merchant).await;
    for app in [&a, &b] {
        let back = eventually(Duration::from_secs(2), || async {
            login(app, merchant, "dora").await.0 == 201
        })
        .await;
        assert!(back, "logins resume on every replica");
        assert_eq!(status_of(app, merchant).await, "active");
    }
    let res = a.phone(&token, &phone_code_for("cleo")).await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn an_authorization_stored_while_a_refused_refresh_is_in_flight_wins() {
    let env = Env::new();
    // WeChat's answer comes late on purpose: room for it, and for the race on a busy machine.
    let patient = |s: &mut wxsession::settings::Settings| {
        with_platform(s);
        s.wechat.timeout_ms = 5000;
    };
    let a = spawn_on(env.clone(), patient).await;
    let b = spawn_on(env.clone(), patient).await;
    deliver_ticket(&env, &a).await;
    let merchant = MERCHANTS[1];
    authorize(&env, &a, merchant).await;
    let (status, session) = login(&a, merchant, "fay").await;
    assert_eq!(status, 201, "{session}");
    let token = session["session"].as_str().expect("token").to_owned();

    // The merchant authorizes again, the push is lost; replica a's refresh with the dead
    // refresh token is answered 61023 only after 1.5 s.
    sim(&env, "authorize", json!({ "appid": merchant })).await;
    slow_refresh(&env, 1500).await;
    let before = refresh_attempts(&env, merchant);
    let phone = async { a.phone(&token, &phone_code_for("fay")).await };
    // Meanwhile the merchant authorizes once more and that push reaches replica b.
    let authorize_meanwhile = async {
        let in_flight = eventually(Duration::from_secs(2), || async {
            refresh_attempts(&env, merchant) > before
        })
        .await;
        assert!(in_flight, "a's refresh reached WeChat");
        authorize(&env, &b, merchant).await;
    };
    let (res, ()) = tokio::join!(phone, authorize_meanwhile);
    // The late 61023 changes nothing: the call is told to retry, the new authorization stands.
    expect_error(res, 503, "wechat_unavailable").await;
    slow_refresh(&env, 0).await;
    for app in [&a, &b] {
        assert_eq!(status_of(app, merchant).await, "active");
        let metrics = app.operator_metrics_text().await;
        assert_eq!(
            metric(&metrics, "wxsession_component_refresh_token_failures_total"),
            0.0
        );
    }
    let (status, body) = login(&a, merchant, "fay").await;
    assert_eq!(status, 201, "{body}");
    let res = a.phone(&token, &phone_code_for("fay")).await;
    assert_eq!(res.status().as_u16(), 200, "the new authorization's token");
}

/// `api_authorizer_token` answers `ms` late from now on.
async fn slow_refresh(env: &Env, ms: u64) {
    sim_switch(env, "slow-refresh", json!({ "ms": ms })).await;
}
