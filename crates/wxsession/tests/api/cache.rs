//! The local validation cache (SPEC §18): answers from memory, every change seen by every
//! replica, nothing from memory while the change feed is down, sliding expiry at most once per
//! touch interval, and off when asked.

use std::time::Duration;

use crate::helpers::{ADMIN_TOKEN, APPID, TestApp, connect, eventually, spawn_app, spawn_app_with};

/// The value of one series in a scrape (0 when absent).
fn series(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn hits(app: &TestApp) -> f64 {
    series(
        &app.metrics_text().await,
        "wxsession_session_cache_lookups_total{result=\"hit\"}",
    )
}

async fn feed_up(app: &TestApp) -> bool {
    series(&app.metrics_text().await, "wxsession_session_cache_feed_up") == 1.0
}

/// Waits for the replica's feed (it connects in the background).
async fn with_feed(app: &TestApp) {
    assert!(
        eventually(Duration::from_secs(10), || feed_up(app)).await,
        "the change feed came up"
    );
}

async fn status(app: &TestApp, token: &str) -> u16 {
    app.get("/v1/auth", Some(token)).await.status().as_u16()
}

#[tokio::test]
async fn validations_are_answered_from_memory_once_seen() {
    let app = spawn_app().await;
    with_feed(&app).await;
    let token = app.token("cache-hit").await;
    let before = hits(&app).await;
    for _ in 0..20 {
        assert_eq!(status(&app, &token).await, 200);
    }
    // The first one asked Redis; the others (bar a feed hiccup) came from memory.
    assert!(hits(&app).await - before >= 15.0);
    let me: serde_json::Value = app
        .get("/v1/sessions/current", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["expires_in"], 7200);
}

#[tokio::test]
async fn every_revoke_on_one_replica_reaches_a_replica_that_holds_the_session() {
    let a = spawn_app().await;
    let b = a.replica().await;
    with_feed(&a).await;
    let openid = wechat_mock::openid_for(APPID, "cache-everywhere");
    let logout = a.token("cache-logout").await;
    let everywhere = a.token("cache-everywhere").await;
    for token in [&logout, &everywhere] {
        for _ in 0..3 {
            assert_eq!(status(&a, token).await, 200);
        }
    }
    assert_eq!(
        b.delete("/v1/sessions/current", Some(&logout))
            .await
            .status()
            .as_u16(),
        204
    );
    let path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    assert_eq!(
        b.delete(&path, Some(ADMIN_TOKEN)).await.status().as_u16(),
        200
    );
    for token in [&logout, &everywhere] {
        assert!(a.auth_becomes(token, 401, Duration::from_secs(5)).await);
    }
}

#[tokio::test]
async fn the_replica_that_revokes_sees_it_at_once() {
    let app = spawn_app().await;
    with_feed(&app).await;
    let token = app.token("cache-self").await;
    for _ in 0..3 {
        assert_eq!(status(&app, &token).await, 200);
    }
    let res = app.delete("/v1/sessions/current", Some(&token)).await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(status(&app, &token).await, 401);
}

#[tokio::test]
async fn a_change_made_in_redis_by_anyone_is_seen() {
    let app = spawn_app().await;
    with_feed(&app).await;
    let token = app.token("cache-outside").await;
    for _ in 0..3 {
        assert_eq!(status(&app, &token).await, 200);
    }
    let mut redis = app.redis().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:s:*", app.env.prefix))
        .query_async(&mut redis)
        .await
        .expect("keys");
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut redis)
        .await
        .expect("del");
    assert!(app.auth_becomes(&token, 401, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_lost_feed_sends_every_validation_to_redis_until_it_is_back() {
    let app = spawn_app().await;
    with_feed(&app).await;
    let token = app.token("cache-lost").await;
    for _ in 0..3 {
        assert_eq!(status(&app, &token).await, 200);
    }
    let mut redis = connect(&app.env.redis.url()).await;
    let name = format!("wxsession-feed:{}", app.env.prefix);
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut redis)
        .await
        .expect("client list");
    let id = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .and_then(|l| l.strip_prefix("id="))
        .and_then(|l| l.split(' ').next())
        .expect("the feed's connection")
        .to_owned();
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(&id)
        .query_async(&mut redis)
        .await
        .expect("client kill");
    // Whether or not the feed is back yet, the session still validates, and a change made
    // right after the kill is seen.
    assert_eq!(status(&app, &token).await, 200);
    let lost = || async {
        let text = app.operator_metrics_text().await;
        series(&text, "wxsession_session_cache_feed_losses_total") >= 1.0
    };
    assert!(
        eventually(Duration::from_secs(5), lost).await,
        "the loss is counted"
    );
    with_feed(&app).await;
    let before = hits(&app).await;
    for _ in 0..5 {
        assert_eq!(status(&app, &token).await, 200);
    }
    assert!(
        hits(&app).await > before,
        "hits resume once the feed is back"
    );
    assert_eq!(
        app.delete("/v1/sessions/current", Some(&token))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(status(&app, &token).await, 401);
}

#[tokio::test]
async fn hits_extend_the_session_in_redis_at_most_once_per_touch_interval() {
    let app = spawn_app_with(|s| {
        s.session.idle_ttl_secs = 100;
        s.session.touch_interval_secs = Some(10);
    })
    .await;
    with_feed(&app).await;
    let token = app.token("cache-touch").await;
    let ttl = || async {
        let keys = app.keys_with_ttl().await;
        keys.into_iter()
            .find(|(k, _)| k.contains(":s:"))
            .map(|(_, t)| t)
            .expect("the session key")
    };
    // 5 s later (less than the interval), use does not extend it...
    app.env.pass(Duration::from_secs(5)).await;
    for _ in 0..3 {
        assert_eq!(status(&app, &token).await, 200);
    }
    assert!((94..=95).contains(&ttl().await), "{}", ttl().await);
    // ... 6 s more (past the interval), it does, once.
    app.env.pass(Duration::from_secs(6)).await;
    assert_eq!(status(&app, &token).await, 200);
    assert!(ttl().await >= 99, "{}", ttl().await);
    let me: serde_json::Value = app
        .get("/v1/sessions/current", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert!(me["expires_in"].as_u64() >= Some(99), "{me}");
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let app = spawn_app_with(|s| s.session.local_cache = false).await;
    let token = app.token("cache-off").await;
    for _ in 0..5 {
        assert_eq!(status(&app, &token).await, 200);
    }
    let text = app.metrics_text().await;
    assert_eq!(series(&text, "wxsession_session_cache_feed_up"), 0.0);
    assert_eq!(hits(&app).await, 0.0);
}
