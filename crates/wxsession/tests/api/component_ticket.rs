//! The verify ticket's faults, end to end over real Redis and the simulator, read the way the
//! shipped alert rules read them (`deploy/prometheus/alerts.yml`, whose promtool tests fire and
//! clear the alerts on the same series): WeChat's pushes stop for three hours — logins go on on
//! the stored ticket, `wxsession_component_ticket_age_seconds` climbs past the stale alert's
//! threshold with the clock, and falls back when a push arrives; no ticket was ever stored —
//! one replica asks WeChat for pushes and `wxsession_component_ticket_missing` says so.

use std::time::Duration;

use serde_json::json;
use wxsession::domain::clock::Clock as _;

use crate::component::{authorize, crypt, deliver_ticket, login, push, send, sim, ticket_xml};
use crate::helpers::{Env, MERCHANTS, PLATFORM_APPID, TestApp, eventually, spawn_on};

const AGE: &str = "wxsession_component_ticket_age_seconds";
const MISSING: &str = "wxsession_component_ticket_missing";

/// The shipped alert rules.
const RULES: &str = include_str!("../../../../deploy/prometheus/alerts.yml");

/// The threshold of the stale-ticket alert's expression, in seconds.
fn stale_threshold() -> i64 {
    let expr = format!("expr: max({AGE}) > ");
    RULES
        .lines()
        .find_map(|l| l.trim().strip_prefix(expr.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .expect("WxsessionComponentTicketStale alerts on the age")
}

/// The value of the unlabelled gauge `name` in a scrape of `app`'s operator listener.
async fn gauge(app: &TestApp, name: &str) -> i64 {
    let text = app.operator_metrics_text().await;
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} exported: {text}"))
}

/// A fresh ticket from the simulator, pushed to `app` signed at the fleet's (moved) clock.
async fn push_ticket_now(env: &Env, app: &TestApp) {
    let ticket = sim(env, "push-ticket", json!({})).await["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let inner = ticket_xml(PLATFORM_APPID, &ticket);
    let (query, body) = push(&inner, env.clock.now_unix(), &crypt(PLATFORM_APPID));
    let res = send(app, &query, &body).await;
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
}

#[tokio::test]
async fn the_pushes_stop_for_three_hours_logins_go_on_the_age_alert_fires_and_clears() {
    let env = Env::new();
    let app = spawn_on(env.clone(), crate::component::with_platform).await;
    deliver_ticket(&env, &app).await;
    let merchant = MERCHANTS[1];
    authorize(&env, &app, merchant).await;
    assert_eq!(login(&app, merchant, "early").await.0, 201);
    let threshold = stale_threshold();
    let before = env.sim.component_stats().expect("platform");

    // The pushes stop (the suite's simulator pushes nothing on its own): the age, scraped
    // every ten "minutes", grows with the clock alone — no login, no store read.
    let mut series = vec![gauge(&app, AGE).await];
    for _ in 0..18 {
        env.pass(Duration::from_secs(600)).await;
        series.push(gauge(&app, AGE).await);
    }
    println!("ticket age every 10 min through a 3-hour pause, then a push: {series:?}");
    let expected: Vec<i64> = (0..=18).map(|i| i * 600).collect();
    assert_eq!(series, expected, "the age follows the clock");
    let over = series.iter().position(|a| *a > threshold);
    assert_eq!(over, Some(7), "past the alert's {threshold} s after 70 min");
    assert_eq!(gauge(&app, MISSING).await, 0, "a ticket is stored");

    // Three hours on, the platform's token has expired: a new one is fetched with the stored
    // ticket, and the merchant's users log in.
    for i in 0..5 {
        let (status, body) = login(&app, merchant, &format!("late{i}")).await;
        assert_eq!(status, 201, "{body}");
    }
    let stats = env.sim.component_stats().expect("platform");
    assert_eq!(stats.pushes, before.pushes, "no push arrived");
    assert_eq!(
        stats.component_token_fetches - before.component_token_fetches,
        1,
        "one new platform token, from the stored ticket"
    );

    // The pushes resume: the age falls back under the threshold at once, and stays there
    // while they keep coming.
    push_ticket_now(&env, &app).await;
    let resumed = gauge(&app, AGE).await;
    env.pass(Duration::from_secs(600)).await;
    let later = gauge(&app, AGE).await;
    println!("after the push: {resumed}, ten minutes later: {later}");
    assert_eq!((resumed, later), (0, 600));
    assert!(later < threshold);
    assert_eq!(login(&app, merchant, "resumed").await.0, 201);
}

#[tokio::test]
async fn with_no_ticket_one_replica_asks_for_pushes_and_every_one_says_none_is_stored() {
    assert!(
        RULES.contains(&format!("expr: max({MISSING}) > 0")),
        "an alert reads the missing ticket"
    );
    let env = Env::new();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(spawn_on(env.clone(), crate::component::with_platform).await);
    }
    let asked = r#"wxsession_wechat_requests_total{api="start_push_ticket",result="ok"} 1"#;
    let once = eventually(Duration::from_secs(3), || async {
        let mut total = 0;
        for app in &replicas {
            total += usize::from(app.operator_metrics_text().await.contains(asked));
        }
        total == 1
    })
    .await;
    assert!(
        once,
        "one replica of the fleet asked WeChat to push a ticket"
    );
    // Every replica read the store at start-up: none stored, and an age of 0 that would
    // never fire the stale alert — the missing gauge is what says so.
    for app in &replicas {
        let read = eventually(Duration::from_secs(3), || async {
            gauge(app, MISSING).await == 1
        })
        .await;
        assert!(read, "every replica says no ticket is stored");
    }
    env.pass(Duration::from_secs(3600)).await;
    for app in &replicas {
        assert_eq!(gauge(app, MISSING).await, 1);
        assert_eq!(gauge(app, AGE).await, 0);
    }

    // A ticket arrives on one replica: it knows at once (the others at their next minutely
    // read); an hour and a half later a replica starts: it reads the stored ticket at once.
    push_ticket_now(&env, &replicas[0]).await;
    assert_eq!(gauge(&replicas[0], MISSING).await, 0);
    env.pass(Duration::from_secs(5400)).await;
    assert_eq!(gauge(&replicas[0], AGE).await, 5400);
    let late = spawn_on(env.clone(), crate::component::with_platform).await;
    let read = eventually(Duration::from_secs(3), || async {
        gauge(&late, AGE).await == 5400
    })
    .await;
    assert!(read, "the late replica exports the age without a login");
    assert_eq!(gauge(&late, MISSING).await, 0);
    let text = late.operator_metrics_text().await;
    assert!(!text.contains(asked), "the late replica asked nothing");
}

#[tokio::test]
async fn a_stored_ticket_that_cannot_be_read_counts_as_none_and_a_push_replaces_it() {
    let env = Env::new();
    let client = redis::Client::open(env.redis.url()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let key = format!("{}:{{apps}}:ticket", env.prefix);
    let () = redis::cmd("SET")
        .arg(&key)
        .arg("not a sealed ticket")
        .query_async(&mut conn)
        .await
        .expect("a malformed ticket");
    let app = spawn_on(env.clone(), crate::component::with_platform).await;
    let asked = r#"wxsession_wechat_requests_total{api="start_push_ticket",result="ok"} 1"#;
    let read = eventually(Duration::from_secs(3), || async {
        gauge(&app, MISSING).await == 1 && app.operator_metrics_text().await.contains(asked)
    })
    .await;
    assert!(
        read,
        "the missing-ticket alert sees it, and WeChat is asked for a push"
    );
    push_ticket_now(&env, &app).await;
    assert_eq!(gauge(&app, MISSING).await, 0);
    assert_eq!(gauge(&app, AGE).await, 0);
}
