//! Redis stopped mid-test: 503 store_unavailable and /readyz 503; restarted: the service
//! recovers by itself.

use std::time::{Duration, Instant};

use crate::helpers::{Env, RedisHandle, RedisServer, error_of, eventually, spawn_on};

#[tokio::test]
async fn store_outage_is_503_and_recovers_without_restart() {
    let env = Env::with_redis(RedisHandle::Owned(RedisServer::start()));
    let app = spawn_on(env, |_| {}).await;
    let token = app.login("olga").await["session"]
        .as_str()
        .expect("t")
        .to_owned();
    assert_eq!(app.get("/readyz", None).await.status().as_u16(), 200);

    let RedisHandle::Owned(server) = &app.env.redis else {
        panic!("owned redis");
    };
    server.stop();

    let started = Instant::now();
    let res = app.get("/v1/auth", Some(&token)).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no hang past the store timeout"
    );
    assert_eq!(res.headers()["retry-after"], "1");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (503, Some("store_unavailable"))
    );
    let (status, err) = error_of(app.get("/readyz", None).await).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (503, Some("store_unavailable"))
    );
    let res = app
        .post_json(
            "/v1/sessions",
            &serde_json::json!({"code": crate::helpers::code_for("olga")}),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 503);

    server.restart();
    let app_ref = &app;
    let ready = eventually(Duration::from_secs(10), || async move {
        app_ref.get("/readyz", None).await.status().as_u16() == 200
    })
    .await;
    assert!(ready, "readyz recovers");
    // The old session died with the non-persistent Redis; new logins work again.
    app.login("olga").await;
    let metrics = app
        .get("/metrics", None)
        .await
        .text()
        .await
        .expect("metrics");
    assert!(
        metrics.contains("wxsession_store_errors_total{op=\"touch_session\"}"),
        "{metrics}"
    );
}
