//! Redis killed and restarted under steady load: 503 store_unavailable with Retry-After (never
//! a hang), /readyz flips, the service comes back by itself, and persisted sessions survive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::{Env, RedisHandle, RedisServer, eventually, expect_error, spawn_on};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_outage_under_load_is_503_and_recovers_without_restart() {
    let env = Env::with_redis(RedisHandle::Owned(RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ])));
    let app = Arc::new(spawn_on(env, |_| {}).await);
    let token = app.token("olga").await;
    assert_eq!(app.get("/readyz", None).await.status().as_u16(), 200);

    // Steady load: validations in a loop, counting answers by kind, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, unavailable, other) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let load = tokio::spawn({
        let (app, token, stop) = (app.clone(), token.clone(), stop.clone());
        let (ok, unavailable, other) = (ok.clone(), unavailable.clone(), other.clone());
        async move {
            let mut slowest = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let res = app.get("/v1/auth", Some(&token)).await;
                slowest = slowest.max(started.elapsed());
                match res.status().as_u16() {
                    200 => ok.fetch_add(1, Ordering::Relaxed),
                    503 if res.headers().contains_key("retry-after") => {
                        unavailable.fetch_add(1, Ordering::Relaxed)
                    }
                    _ => other.fetch_add(1, Ordering::Relaxed),
                };
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            slowest
        }
    });

    let ok_ref = &ok;
    let steady = || async move { ok_ref.load(Ordering::Relaxed) >= 20 };
    assert!(
        eventually(Duration::from_secs(5), steady).await,
        "load is flowing"
    );
    let RedisHandle::Owned(server) = &app.env.redis else {
        panic!("owned redis");
    };
    server.stop();
    expect_error(app.get("/readyz", None).await, 503, "store_unavailable").await;
    assert!(app.auth_becomes(&token, 503, Duration::from_secs(5)).await);
    let res = app
        .post_json(
            "/v1/sessions",
            &serde_json::json!({"code": crate::helpers::code_for("olga")}),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 503);

    server.restart();
    let restarted = Instant::now();
    assert!(
        app.auth_becomes(&token, 200, Duration::from_secs(10)).await,
        "service came back"
    );
    let recovery = restarted.elapsed();
    let after = ok.load(Ordering::Relaxed);
    let flowing = || async move { ok_ref.load(Ordering::Relaxed) >= after + 20 };
    assert!(
        eventually(Duration::from_secs(5), flowing).await,
        "load flows again"
    );
    stop.store(true, Ordering::Relaxed);
    let slowest = load.await.expect("load task");
    println!(
        "redis outage: recovered {recovery:?} after restart; slowest answer {slowest:?}; \
         {} ok, {} 503, {} other",
        ok.load(Ordering::Relaxed),
        unavailable.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed)
    );
    assert_eq!(
        other.load(Ordering::Relaxed),
        0,
        "only 200s and 503s with Retry-After"
    );
    assert!(unavailable.load(Ordering::Relaxed) > 0 && ok.load(Ordering::Relaxed) > 0);
    // Bounded by the store timeout (500 ms in tests) plus the request itself.
    assert!(
        slowest < Duration::from_secs(2),
        "a request hung for {slowest:?}"
    );
    // The session written before the outage survived it (AOF), and new logins work.
    assert_eq!(app.get("/readyz", None).await.status().as_u16(), 200);
    app.login("olga").await;
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("wxsession_store_errors_total{op=\"touch_session\"}"),
        "{metrics}"
    );
}
