//! Sessions: the seed flow end to end, sliding and absolute expiry, replicas, the bound per user.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{APPID, expect_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn full_seed_flow() {
    let app = spawn_app().await;

    let login = app.login("alice").await;
    let token = login["session"].as_str().expect("session token").to_owned();
    assert!(token.starts_with("wxs_") && token.len() == 47, "{token}");
    assert_eq!(login["appid"], APPID);
    assert_eq!(login["openid"], wechat_mock::openid_for(APPID, "alice"));
    assert_eq!(
        login["unionid"],
        wechat_mock::unionid_for("alice").expect("alice has one")
    );
    assert_eq!(login["expires_in"], 7200);
    assert!(login.get("user").is_none() && login.get("session_key").is_none());

    let res = app.get("/v1/sessions/current", Some(&token)).await;
    assert_eq!(res.status().as_u16(), 200);
    let me: serde_json::Value = res.json().await.expect("json");
    assert_eq!(me["appid"], APPID);
    assert_eq!(me["openid"], login["openid"]);
    assert_eq!(me["unionid"], login["unionid"]);
    assert!(me["created_at"].as_i64().is_some_and(|t| t > 1_700_000_000));
    assert_eq!(me["expires_in"], 7200);

    let enc = app
        .sim_encrypt(
            APPID,
            "alice",
            json!({"nickName": "Alice", "gender": 2}),
            "current",
        )
        .await;
    let res = app
        .post_json("/v1/sessions/current/decrypt", &enc, Some(&token))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["data"]["nickName"], "Alice");
    assert_eq!(body["data"]["watermark"]["appid"], APPID);

    let res = app.get("/v1/auth", Some(&token)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-wx-appid"], APPID);
    assert_eq!(
        res.headers()["x-wx-openid"],
        login["openid"].as_str().expect("openid")
    );
    assert_eq!(
        res.headers()["x-wx-unionid"],
        login["unionid"].as_str().expect("unionid")
    );
    assert_eq!(res.text().await.expect("body"), "");

    let res = app.delete("/v1/sessions/current", Some(&token)).await;
    assert_eq!(res.status().as_u16(), 204);

    for path in ["/v1/sessions/current", "/v1/auth"] {
        let res = app.get(path, Some(&token)).await;
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        expect_error(res, 401, "invalid_session").await;
    }
    expect_error(
        app.delete("/v1/sessions/current", Some(&token)).await,
        401,
        "invalid_session",
    )
    .await;
}

#[tokio::test]
async fn idle_ttl_slides_with_use() {
    let app = spawn_app_with(|s| {
        s.session.idle_ttl_secs = 2;
        s.session.max_lifetime_secs = 60;
    })
    .await;
    let token = app.token("kim").await;
    // Used every second for 4 s (twice the idle TTL): it stays alive.
    for _ in 0..4 {
        app.env.pass(Duration::from_secs(1)).await;
        let res = app.get("/v1/sessions/current", Some(&token)).await;
        assert_eq!(res.status().as_u16(), 200);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["expires_in"], 2);
    }
    // Left alone for its idle TTL, it dies.
    app.env.pass(Duration::from_secs(2)).await;
    let res = app.get("/v1/auth", Some(&token)).await;
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn absolute_lifetime_caps_sliding() {
    let app = spawn_app_with(|s| {
        s.session.idle_ttl_secs = 60;
        s.session.max_lifetime_secs = 30;
    })
    .await;
    let login = app.login("lee").await;
    assert_eq!(login["expires_in"], 30);
    let token = login["session"].as_str().expect("t").to_owned();
    // Used every 10 s, its TTL shrinks towards the cap...
    for left in [20, 10] {
        app.env.pass(Duration::from_secs(10)).await;
        let res = app.get("/v1/sessions/current", Some(&token)).await;
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["expires_in"], left, "{body}");
    }
    // ... and it dies there, however constantly used.
    app.env.pass(Duration::from_secs(10)).await;
    assert_eq!(
        app.get("/v1/auth", Some(&token)).await.status().as_u16(),
        401
    );
}

#[tokio::test]
async fn the_replicas_clock_ends_a_session_at_its_deadline_whatever_redis_holds() {
    let app = spawn_app_with(|s| {
        s.session.idle_ttl_secs = 60;
        s.session.max_lifetime_secs = 30;
    })
    .await;
    let token = app.token("ned").await;
    // Only the clock moves: Redis still holds the session, the replica knows it is over.
    app.env.clock.advance(Duration::from_secs(30));
    assert_eq!(
        app.get("/v1/auth", Some(&token)).await.status().as_u16(),
        401
    );
}

#[tokio::test]
async fn a_token_minted_on_one_replica_works_on_another() {
    let a = spawn_app().await;
    let b = a.replica().await;
    let login = a.login("ivan").await;
    let token = login["session"].as_str().expect("token");

    assert_eq!(
        b.get("/v1/sessions/current", Some(token))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(b.get("/v1/auth", Some(token)).await.status().as_u16(), 200);
    let enc = b
        .sim_encrypt(APPID, "ivan", json!({"nickName": "Ivan"}), "current")
        .await;
    let res = b
        .post_json("/v1/sessions/current/decrypt", &enc, Some(token))
        .await;
    assert_eq!(res.status().as_u16(), 200);

    assert_eq!(
        b.delete("/v1/sessions/current", Some(token))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(a.get("/v1/auth", Some(token)).await.status().as_u16(), 401);
}

#[tokio::test]
async fn session_key_never_leaves_the_service_and_token_is_not_stored_raw() {
    let app = spawn_app().await;
    let login = app.login("heidi").await;
    let token = login["session"].as_str().expect("token");
    let text = login.to_string();
    assert!(!text.contains("session_key"));

    let mut conn = app.redis().await;
    let keys = app.keys_with_ttl().await;
    assert!(!keys.is_empty());
    for (key, ttl) in &keys {
        assert!(*ttl > 0, "{key} has no TTL");
        assert!(!key.contains(&token[4..]), "raw token in a key name");
        let kind: String = redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut conn)
            .await
            .expect("TYPE");
        let dump: String = match kind.as_str() {
            "string" => redis::cmd("GET")
                .arg(key)
                .query_async::<Vec<u8>>(&mut conn)
                .await
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .expect("GET"),
            "hash" => redis::cmd("HGETALL")
                .arg(key)
                .query_async::<Vec<Vec<u8>>>(&mut conn)
                .await
                .expect("HGETALL")
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            "set" => format!(
                "{:?}",
                redis::cmd("SMEMBERS")
                    .arg(key)
                    .query_async::<Vec<String>>(&mut conn)
                    .await
                    .expect("SMEMBERS")
            ),
            other => panic!("unexpected type {other} for {key}"),
        };
        assert!(!dump.contains(&token[4..]), "raw token stored under {key}");
    }
}

/// Finding 9: a user's session list is bounded; the oldest are revoked, dead ones pruned first.
#[tokio::test]
async fn sessions_per_user_are_bounded_and_pruned() {
    let app = spawn_app_with(|s| s.session.max_sessions_per_user = 3).await;
    let first = app.login("many").await;
    let openid = first["openid"].as_str().expect("openid").to_owned();
    let mut tokens = vec![first["session"].as_str().expect("token").to_owned()];
    for _ in 0..4 {
        tokens.push(app.token("many").await);
    }
    let statuses = join_all(tokens.iter().map(|t| {
        let app = &app;
        async move { app.get("/v1/auth", Some(t)).await.status().as_u16() }
    }))
    .await;
    assert_eq!(statuses, [401, 401, 200, 200, 200]);
    assert_eq!(session_fields(&app, &openid).await, 3);

    // Sessions that died of idleness are pruned before live ones are evicted.
    let app = spawn_app_with(|s| {
        s.session.max_sessions_per_user = 3;
        s.session.idle_ttl_secs = 1;
    })
    .await;
    let first = app.login("idle").await;
    let openid = first["openid"].as_str().expect("openid").to_owned();
    let dead = [
        first["session"].as_str().expect("token").to_owned(),
        app.token("idle").await,
    ];
    // Redis expires them (asking the service would keep them alive).
    app.env.pass(Duration::from_secs(1)).await;
    assert!(
        !app.keys_with_ttl()
            .await
            .iter()
            .any(|(k, _)| k.contains(":s:"))
    );
    let live = [
        app.token("idle").await,
        app.token("idle").await,
        app.token("idle").await,
    ];
    for t in &live {
        assert_eq!(app.get("/v1/auth", Some(t)).await.status().as_u16(), 200);
    }
    for t in &dead {
        assert_eq!(app.get("/v1/auth", Some(t)).await.status().as_u16(), 401);
    }
    assert_eq!(session_fields(&app, &openid).await, 3);
}

/// How many sessions the user's entry lists.
async fn session_fields(app: &crate::helpers::TestApp, openid: &str) -> usize {
    app.user_entry(APPID, openid)
        .await
        .map_or(0, |entry| entry.sessions.len())
}
