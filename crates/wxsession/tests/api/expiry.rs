//! Idle TTL slides; the absolute cap holds. Short TTLs, polled with deadlines.

use std::time::Duration;

use crate::helpers::{eventually, spawn_app_with};

#[tokio::test]
async fn idle_ttl_slides_with_use() {
    let app = spawn_app_with(|s| {
        s.session.idle_ttl_secs = 2;
        s.session.max_lifetime_secs = 60;
    })
    .await;
    let token = app.token("kim").await;
    // Used every ~0.5 s for 4 s (twice the idle TTL): it stays alive.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let res = app.get("/v1/sessions/current", Some(&token)).await;
        assert_eq!(res.status().as_u16(), 200);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["expires_in"], 2);
    }
    // Left alone, it dies within the idle TTL (+1 s of Redis expiry granularity).
    let app_ref = &app;
    let token_ref = &token;
    let dead = eventually(Duration::from_secs(5), || async move {
        tokio::time::sleep(Duration::from_millis(2100)).await;
        app_ref
            .get("/v1/auth", Some(token_ref))
            .await
            .status()
            .as_u16()
            == 401
    })
    .await;
    assert!(dead, "idle session expired");
}

#[tokio::test]
async fn absolute_lifetime_caps_sliding() {
    let app = spawn_app_with(|s| {
        s.session.idle_ttl_secs = 60;
        s.session.max_lifetime_secs = 3;
    })
    .await;
    let login = app.login("lee").await;
    assert_eq!(login["expires_in"], 3);
    let token = login["session"].as_str().expect("t").to_owned();
    let res = app.get("/v1/sessions/current", Some(&token)).await;
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(
        body["expires_in"].as_u64().is_some_and(|t| t <= 3),
        "{body}"
    );
    // Used constantly, it still dies at the cap.
    let dead = app.auth_becomes(&token, 401, Duration::from_secs(6)).await;
    assert!(dead, "session outlived its absolute lifetime");
}
