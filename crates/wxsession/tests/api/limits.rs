//! Rate limits shared by replicas: logins per client address, decrypt failures per session.
//! Windows are calendar minutes on the service's clock: each test puts the fleet's test clock
//! at the start of a minute, so that its requests share one window, and moves it to the next.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{APPID, Env, code_for, expect_error, spawn_app_with, spawn_on};

#[tokio::test]
async fn login_limit_per_ip_is_shared_by_replicas_and_honours_trusted_proxies() {
    let env = Env::new();
    env.clock.to_next_minute(0);
    let limited = |s: &mut wxsession::settings::Settings| {
        s.limits.login_per_ip_per_minute = 3;
        s.limits.trusted_proxies = vec!["127.0.0.0/8".into()];
    };
    let a = spawn_on(env.clone(), limited).await;
    let b = spawn_on(env, limited).await;
    let login = |app: &crate::helpers::TestApp, ip: &'static str| {
        app.http
            .post(app.url("/v1/sessions"))
            .header("x-forwarded-for", format!("203.0.113.9, {ip}"))
            .json(&json!({"code": code_for("rl")}))
            .send()
    };
    // Three logins from 198.51.100.1 across two replicas, the fourth is refused.
    for app in [&a, &b, &a] {
        assert_eq!(
            login(app, "198.51.100.1")
                .await
                .expect("sent")
                .status()
                .as_u16(),
            201
        );
    }
    let res = login(&b, "198.51.100.1").await.expect("sent");
    assert_eq!(res.headers()["retry-after"], "60");
    expect_error(res, 429, "rate_limited").await;
    // The window's last second still refuses; the next window has a fresh budget.
    a.env.clock.advance(Duration::from_secs(59));
    let res = login(&a, "198.51.100.1").await.expect("sent");
    assert_eq!(res.headers()["retry-after"], "1");
    expect_error(res, 429, "rate_limited").await;
    a.env.clock.advance(Duration::from_secs(1));
    let res = login(&b, "198.51.100.1").await.expect("sent");
    assert_eq!(res.status().as_u16(), 201);
    // Another client behind the same proxy has its own budget.
    assert_eq!(
        login(&a, "198.51.100.2")
            .await
            .expect("sent")
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers() {
    let app = crate::helpers::spawn_app_with(|s| s.limits.login_per_ip_per_minute = 2).await;
    app.env.clock.to_next_minute(0);
    for i in 0..3 {
        let res = app
            .http
            .post(app.url("/v1/sessions"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"code": code_for("spoof")}))
            .send()
            .await
            .expect("sent");
        let want = if i < 2 { 201 } else { 429 };
        assert_eq!(
            res.status().as_u16(),
            want,
            "attempt {i}: the peer address counts"
        );
    }
}

#[tokio::test]
async fn decrypt_failures_are_limited_per_session() {
    let env = Env::new();
    env.clock.to_next_minute(30);
    let limited = |s: &mut wxsession::settings::Settings| {
        s.limits.decrypt_failures_per_session_per_minute = 2;
    };
    let app = spawn_on(env.clone(), limited).await;
    let other = spawn_on(env, limited).await;
    let token = app.token("df").await;
    let good = app
        .sim_encrypt(APPID, "df", json!({"ok": true}), "current")
        .await;
    let bad = json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": good["iv"]});
    for replica in [&app, &other] {
        let res = replica
            .post_json("/v1/sessions/current/decrypt", &bad, Some(&token))
            .await;
        assert_eq!(res.status().as_u16(), 422);
    }
    // The budget is spent on both replicas: even good data waits now.
    let res = other
        .post_json("/v1/sessions/current/decrypt", &good, Some(&token))
        .await;
    assert_eq!(res.headers()["retry-after"], "30");
    expect_error(res, 429, "rate_limited").await;
    // The next minute, the good data is decrypted.
    app.env.clock.advance(Duration::from_secs(30));
    let res = other
        .post_json("/v1/sessions/current/decrypt", &good, Some(&token))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    // Another session of the same user is not affected.
    let token2 = app.token("df").await;
    let fresh = app
        .sim_encrypt(APPID, "df", json!({"ok": true}), "current")
        .await;
    let res = app
        .post_json("/v1/sessions/current/decrypt", &fresh, Some(&token2))
        .await;
    assert_eq!(res.status().as_u16(), 200);
}

/// Finding 5: the per-session failure budget cannot be raced.
#[tokio::test]
async fn decrypt_failure_limit_holds_under_concurrency() {
    let app = spawn_app_with(|s| s.limits.decrypt_failures_per_session_per_minute = 20).await;
    app.env.clock.to_next_minute(0);
    let token = app.token("racer").await;
    let good = app
        .sim_encrypt(APPID, "racer", json!({"a": 1}), "current")
        .await;
    let bad = json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": good["iv"]});
    let attempts = (0..300).map(|_| {
        let app = &app;
        let bad = &bad;
        let token = &token;
        async move {
            app.post_json("/v1/sessions/current/decrypt", bad, Some(token))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    let failed = statuses.iter().filter(|s| **s == 422).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((failed, limited), (20, 280), "{statuses:?}");
}

#[tokio::test]
async fn phone_lookups_never_starve_logins() {
    let app = spawn_app_with(|s| {
        s.wechat.max_concurrent_calls_per_app = 2;
        s.wechat.timeout_ms = 10_000;
    })
    .await;
    let tokens = [app.token("pia").await, app.token("pim").await];
    // Two phone lookups that WeChat answers slowly hold the app's session-call permits...
    let slow = tokens.iter().zip(["pia", "pim"]).map(|(token, user)| {
        let code = format!("slow:3000:{}", crate::helpers::phone_code_for(user));
        let app = &app;
        async move { app.phone(token, &code).await.status().as_u16() }
    });
    let lookups = join_all(slow);
    let login = async {
        let arrived = crate::helpers::eventually(std::time::Duration::from_secs(5), || async {
            app.env.sim.stats().phone_requests >= 2
        })
        .await;
        assert!(arrived, "both lookups reached WeChat");
        // ... a third waits for none: it is refused at once ...
        let third = app
            .phone(&tokens[0], &crate::helpers::phone_code_for("pia"))
            .await;
        expect_error(third, 503, "wechat_unavailable").await;
        // ... and a login still has its own.
        app.post_json("/v1/sessions", &json!({"code": code_for("lou")}), None)
            .await
            .status()
            .as_u16()
    };
    let (statuses, login) = tokio::join!(lookups, login);
    assert_eq!(login, 201);
    assert_eq!(statuses, [200, 200]);
}

#[tokio::test]
async fn phone_lookups_and_key_status_checks_are_limited_per_session() {
    let app = spawn_app_with(|s| {
        s.limits.phone_lookups_per_session_per_minute = 2;
        s.limits.key_status_per_session_per_minute = 2;
    })
    .await;
    app.env.clock.to_next_minute(0);
    let token = app.token("lim").await;
    for _ in 0..2 {
        let code = crate::helpers::phone_code_for("lim");
        assert_eq!(app.phone(&token, &code).await.status().as_u16(), 200);
        let status = app
            .get("/v1/sessions/current/key-status", Some(&token))
            .await;
        assert_eq!(status.status().as_u16(), 200);
    }
    let calls = app.env.sim.stats();
    let code = crate::helpers::phone_code_for("lim");
    expect_error(app.phone(&token, &code).await, 429, "rate_limited").await;
    let status = app
        .get("/v1/sessions/current/key-status", Some(&token))
        .await;
    expect_error(status, 429, "rate_limited").await;
    assert_eq!(app.env.sim.stats().phone_requests, calls.phone_requests);
    // Another session of the same user has its own budget.
    let other = app.token("lim").await;
    let code = crate::helpers::phone_code_for("lim");
    assert_eq!(app.phone(&other, &code).await.status().as_u16(), 200);
    // The next minute, the first session may look up again.
    app.env.clock.advance(Duration::from_secs(60));
    let code = crate::helpers::phone_code_for("lim");
    assert_eq!(app.phone(&token, &code).await.status().as_u16(), 200);
}
