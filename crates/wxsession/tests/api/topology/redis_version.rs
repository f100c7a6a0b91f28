//! The Redis version: 7.0 or newer, checked at start-up (a replica refuses to start on an older
//! one) and by every `/readyz`, which reports it.

use serde_json::Value;

use crate::helpers::{Env, OldRedis, RedisHandle, expect_error, serve_refused, spawn_on};

const TOO_OLD: &str = "Redis 6.2.0 is too old: wxsession needs Redis 7.0 or newer (it uses SET … NX GET and EXPIRE … NX)";

#[tokio::test]
async fn readyz_reports_the_redis_version() {
    let env = Env::new();
    let app = spawn_on(env.clone(), |_| {}).await;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut app.redis().await)
        .await
        .expect("INFO server");
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .expect("redis_version")
        .trim();

    let ready = app.get("/readyz", None).await;

    assert_eq!(ready.status().as_u16(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"]["redis_version"], version, "{body}");
}

#[tokio::test]
async fn a_replica_refuses_to_start_on_redis_older_than_7() {
    let old = OldRedis::start("6.2.0");
    let env = Env::with_redis(RedisHandle::Shared(old.url()));

    let (status, log) = tokio::task::spawn_blocking(move || serve_refused(&env))
        .await
        .expect("the refused start is watched");

    assert!(!status.success(), "{log}");
    assert!(log.contains(&format!("wxsession: {TOO_OLD}")), "{log}");
}

#[tokio::test]
async fn readyz_is_not_ready_on_redis_older_than_7() {
    // The check at start-up is skipped when Redis does not answer yet; then /readyz makes it.
    let old = OldRedis::start("6.2.0");
    let env = Env::with_redis(RedisHandle::Shared(old.url()));
    let app = spawn_on(env, |_| {}).await;

    expect_error(app.get("/readyz", None).await, 503, "store_unavailable").await;

    let text = app.operator_metrics_text().await;
    assert!(
        text.contains("wxsession_store_errors_total{op=\"ping\"} 1"),
        "the refusal is counted as a store error: {text}"
    );
}
