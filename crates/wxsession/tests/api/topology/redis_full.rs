//! A full Redis (`maxmemory` reached under `noeviction`): logins answer `503 store_full`, users
//! already logged in keep validating and can log out; the eviction policy is watched.

use serde_json::{Value, json};

use crate::helpers::{Env, RedisHandle, RedisServer, code_for, expect_error, spawn_on};

/// Makes Redis full: some unrelated data, then `maxmemory` set below what it uses, so that
/// every write that could grow memory is refused (`OOM`) and nothing can free any.
async fn fill(url: &str) {
    let mut conn = crate::helpers::connect(url).await;
    let blob = vec![b'x'; 64 * 1024];
    for i in 0..32 {
        redis::cmd("SET")
            .arg(format!("filler:{i}"))
            .arg(&blob)
            .query_async::<()>(&mut conn)
            .await
            .expect("SET");
    }
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("1mb")
        .query_async::<()>(&mut conn)
        .await
        .expect("CONFIG SET");
    let refused: redis::RedisResult<()> = redis::cmd("SET")
        .arg("probe")
        .arg(1)
        .query_async(&mut conn)
        .await;
    assert_eq!(
        refused
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("OOM")
    );
}

#[tokio::test]
async fn a_full_redis_refuses_logins_and_keeps_sessions_working() {
    let server =
        RedisServer::start_with(&["--maxmemory", "8mb", "--maxmemory-policy", "noeviction"]);
    let url = server.url();
    let env = Env::with_redis(RedisHandle::Owned(server));
    let app = spawn_on(env, |_| {}).await;
    let tokens = [app.token("full-a").await, app.token("full-b").await];
    fill(&url).await;

    let res = app
        .post_json("/v1/sessions", &json!({"code": code_for("late")}), None)
        .await;
    assert_eq!(res.headers()["retry-after"], "1");
    expect_error(res, 503, "store_full").await;
    // Validation (GETEX) and logout (GETDEL, HDEL) are not refused at maxmemory.
    for token in &tokens {
        assert_eq!(
            app.get("/v1/auth", Some(token)).await.status().as_u16(),
            200
        );
        let res = app.get("/v1/sessions/current", Some(token)).await;
        assert_eq!(res.status().as_u16(), 200);
    }
    assert_eq!(
        app.delete("/v1/sessions/current", Some(&tokens[0]))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        app.get("/v1/auth", Some(&tokens[0]))
            .await
            .status()
            .as_u16(),
        401
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status().as_u16(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["store"]["eviction_policy"], "noeviction");
    let text = app.metrics_text().await;
    assert!(
        text.lines()
            .any(|l| l.starts_with("wxsession_store_full_total{") && !l.ends_with(" 0")),
        "{text}"
    );
    assert!(
        text.contains("wxsession_store_eviction_policy{policy=\"noeviction\"} 1"),
        "{text}"
    );
    // The store errors alert stays quiet: full is not unavailable.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("wxsession_store_errors_total") && !l.ends_with(" 0")),
        "{text}"
    );
}

#[tokio::test]
async fn an_evicting_policy_is_reported() {
    let server =
        RedisServer::start_with(&["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]);
    let env = Env::with_redis(RedisHandle::Owned(server));
    let app = spawn_on(env, |_| {}).await;
    let body: Value = app.get("/readyz", None).await.json().await.expect("json");
    assert_eq!(body["store"]["eviction_policy"], "allkeys-lru");
    let text = app.metrics_text().await;
    assert!(
        text.contains("wxsession_store_eviction_policy{policy=\"allkeys-lru\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("wxsession_store_eviction_policy{policy=\"noeviction\"} 0"),
        "{text}"
    );
}
