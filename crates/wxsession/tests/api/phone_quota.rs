//! The phone-number quota (SPEC §17): one replica per app and period reads WeChat's usage API
//! (`wxa/charge/usage/get`) and stores the reading; every replica exports it as
//! `wxsession_phone_quota_remaining{appid}`. The simulator charges one verification per
//! successful phone button and refuses the button (`errno` 1400001) once the quota is spent.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{APPID, Env, TestApp, eventually, phone_code_for, spawn_on};

fn gauge_line(remaining: i64) -> String {
    format!(r#"wxsession_phone_quota_remaining{{appid="{APPID}"}} {remaining}"#)
}

/// WeChat usage-API calls this replica made, by result.
fn usage_calls(metrics: &str, result: &str) -> u64 {
    let line =
        format!(r#"wxsession_wechat_requests_total{{api="charge_usage",result="{result}"}} "#);
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn shows(app: &TestApp, remaining: i64) -> bool {
    let line = gauge_line(remaining);
    eventually(Duration::from_secs(10), || async {
        app.metrics_text().await.contains(&line)
    })
    .await
}

async fn button(app: &TestApp, user: &str) -> Value {
    let res = app
        .http
        .post(format!("{}/__sim/phone-button", app.env.sim.url))
        .json(&json!({ "appid": APPID, "user": user }))
        .send()
        .await
        .expect("simulator answers");
    res.json().await.expect("json")
}

#[tokio::test]
async fn the_quota_left_is_exported_and_follows_the_buttons() {
    let env = Env::new();
    let app = spawn_on(env.clone(), |s| {
        s.phone.quota_poll_secs = 1;
        s.limits.phone_lookups_per_session_per_minute = 0;
    })
    .await;
    app.sim_post("/__sim/phone-quota", json!({"appid": APPID, "all": 3}))
        .await;
    assert!(shows(&app, 3).await, "{}", app.metrics_text().await);
    let token = app.token("quin").await;
    // A button the page got (charged when it succeeded), exchanged: one verification.
    let event = button(&app, "quin").await;
    assert_eq!(event["errMsg"], "getPhoneNumber:ok");
    let code = event["code"].as_str().expect("code");
    assert_eq!(app.phone(&token, code).await.status().as_u16(), 200);
    // A button whose code the server never exchanged is charged all the same.
    assert_eq!(button(&app, "quin").await["errMsg"], "getPhoneNumber:ok");
    assert!(shows(&app, 1).await, "{}", app.metrics_text().await);
    // The last one; then the button fails as WeChat's does, and nothing more is charged.
    assert_eq!(
        app.phone(&token, &phone_code_for("quin"))
            .await
            .status()
            .as_u16(),
        200
    );
    let spent = button(&app, "quin").await;
    assert_eq!(
        spent,
        json!({"errMsg": "getPhoneNumber:fail no quota (simulated)", "errno": 1_400_001})
    );
    assert!(shows(&app, 0).await, "{}", app.metrics_text().await);
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(&format!(
            r#"wxsession_phone_quota_read_timestamp_seconds{{appid="{APPID}"}} "#
        )),
        "{metrics}"
    );
    assert_eq!(usage_calls(&metrics, "error"), 0);
}

#[tokio::test]
async fn one_replica_reads_for_the_fleet_and_every_replica_exports_the_reading() {
    let env = Env::new();
    env_quota(&env, 500).await;
    // An hour between readings: the first replica reads at start, the second finds the
    // fleet's lock taken and exports the stored reading.
    let hourly = |s: &mut wxsession::settings::Settings| s.phone.quota_poll_secs = 3600;
    let first = spawn_on(env.clone(), hourly).await;
    assert!(shows(&first, 500).await, "{}", first.metrics_text().await);
    let second = spawn_on(env.clone(), hourly).await;
    assert!(shows(&second, 500).await, "{}", second.metrics_text().await);
    let calls = usage_calls(&first.metrics_text().await, "ok")
        + usage_calls(&second.metrics_text().await, "ok");
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn no_quota_is_read_when_polling_is_off_or_the_app_has_no_access_token() {
    let env = Env::new();
    let off = spawn_on(env.clone(), |s| s.phone.quota_poll_secs = 0).await;
    let no_token = spawn_on(env.clone(), |s| {
        s.phone.quota_poll_secs = 1;
        s.apps[0].access_token = Some(wxsession::settings::AccessTokenMode::Off);
    })
    .await;
    // Neither reads nor exports; a replica that does, started after them, shows that their
    // first rounds are long done.
    env_quota(&env, 7).await;
    let on = spawn_on(env.clone(), |s| s.phone.quota_poll_secs = 1).await;
    assert!(shows(&on, 7).await, "{}", on.metrics_text().await);
    for app in [&off, &no_token] {
        let metrics = app.metrics_text().await;
        assert!(
            !metrics.contains("wxsession_phone_quota_remaining{"),
            "{metrics}"
        );
        assert_eq!(usage_calls(&metrics, "ok"), 0);
    }
}

async fn env_quota(env: &Env, all: u64) {
    let res = reqwest::Client::new()
        .post(format!("{}/__sim/phone-quota", env.sim.url))
        .json(&json!({ "appid": APPID, "all": all }))
        .send()
        .await
        .expect("simulator answers");
    assert!(res.status().is_success());
}
