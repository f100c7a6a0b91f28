//! Metrics as SPEC section 7: names, labels by route pattern, listeners and what each publishes.

use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, APPID, expect_error, spawn_app, spawn_app_with};

pub const SPEC_METRICS: &[&str] = &[
    "wxsession_code_exchanges_total",
    "wxsession_code_exchange_duration_seconds",
    "wxsession_decrypt_total",
    "wxsession_decrypt_failures_total",
    "wxsession_sessions_created_total",
    "wxsession_session_lookups_total",
    "wxsession_sessions_revoked_total",
    "wxsession_store_errors_total",
    "wxsession_store_duration_seconds",
    "wxsession_http_requests_total",
    "wxsession_http_request_duration_seconds",
    "wxsession_http_requests_in_flight",
    "wxsession_wechat_requests_total",
    "wxsession_wechat_request_duration_seconds",
    "wxsession_access_token_fetches_total",
    "wxsession_access_token_invalidations_total",
    "wxsession_phone_lookups_total",
    "wxsession_wechat_calls_refused_total",
    "wxsession_admin_actions_total",
    "process_resident_memory_bytes",
];

#[tokio::test]
async fn every_spec_metric_is_exposed_after_a_flow() {
    // The operator's listener: the public one leaves the failure reasons out.
    let app = spawn_app_with(|s| s.server.metrics_bind = Some("127.0.0.1:0".into())).await;
    let token = app.token("sam").await;
    let enc = app
        .sim_encrypt(APPID, "sam", json!({"a": 1}), "current")
        .await;
    app.post_json("/v1/sessions/current/decrypt", &enc, Some(&token))
        .await;
    app.post_json(
        "/v1/sessions/current/decrypt",
        &json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": enc["iv"]}),
        Some(&token),
    )
    .await;
    app.post_json("/v1/sessions", &json!({"code": "err:40029:m"}), None)
        .await;
    let openid = wechat_mock::openid_for(APPID, "sam");
    let admin_path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    app.delete(&admin_path, Some(ADMIN_TOKEN)).await;
    app.get("/v1/auth", Some(&token)).await;
    app.get("/no/such/route/zzqqxx", None).await;

    let port = app.metrics_port.expect("metrics port");
    let res = app
        .http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.expect("text");
    let missing: Vec<_> = SPEC_METRICS
        .iter()
        .filter(|m| !text.contains(&format!("# TYPE {m} ")))
        .collect();
    assert!(missing.is_empty(), "missing {missing:?} in\n{text}");
    for needle in [
        format!("wxsession_code_exchanges_total{{appid=\"{APPID}\",result=\"ok\"}} 1"),
        format!("wxsession_code_exchanges_total{{appid=\"{APPID}\",result=\"invalid_code\"}} 1"),
        format!("wxsession_decrypt_total{{appid=\"{APPID}\",result=\"ok\"}} 1"),
        format!("wxsession_decrypt_total{{appid=\"{APPID}\",result=\"failed\"}} 1"),
        format!("wxsession_sessions_created_total{{appid=\"{APPID}\"}} 1"),
        "wxsession_sessions_revoked_total 1".to_owned(),
        "wxsession_session_lookups_total{result=\"miss\"} 1".to_owned(),
        "route=\"/v1/admin/apps/{appid}/users/{openid}/sessions\"".to_owned(),
        "route=\"unmatched\"".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle} not in\n{text}");
    }
    // A random block fails on padding, or (1 time in ~256) on the JSON behind valid padding.
    let failure = |reason: &str| {
        format!("wxsession_decrypt_failures_total{{appid=\"{APPID}\",reason=\"{reason}\"}} 1")
    };
    assert!(
        text.contains(&failure("padding")) || text.contains(&failure("json")),
        "{text}"
    );
    assert!(!text.contains(&openid), "raw paths never become labels");
    assert!(!text.contains("zzqqxx"));
}

#[tokio::test]
async fn metrics_can_live_on_their_own_listener() {
    let app = spawn_app_with(|s| s.server.metrics_bind = Some("127.0.0.1:0".into())).await;
    assert_eq!(app.get("/metrics", None).await.status().as_u16(), 404);
}

/// Finding 3: made-up HTTP methods do not become label values.
#[tokio::test]
async fn made_up_methods_share_one_label_value() {
    let app = spawn_app().await;
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("FOO{i}").as_bytes()).expect("method");
        let res = app
            .http
            .request(method, app.url("/v1/sessions"))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status().as_u16(), 405);
    }
    let text = app.metrics_text().await;
    assert!(!text.contains("FOO"), "a client's method became a label");
    assert!(
        text.lines()
            .any(|l| l.starts_with("wxsession_http_requests_total")
                && l.contains(r#"method="other""#)
                && l.ends_with(" 40")),
        "{text}"
    );
}

/// Finding 5: why a decrypt failed is not published on the listener clients use.
#[tokio::test]
async fn decrypt_failure_reasons_stay_off_the_public_listener() {
    let app = spawn_app().await;
    let token = app.token("oracle").await;
    let good = app
        .sim_encrypt(APPID, "oracle", json!({"a": 1}), "current")
        .await;
    let bad = json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": good["iv"]});
    let res = app
        .post_json("/v1/sessions/current/decrypt", &bad, Some(&token))
        .await;
    expect_error(res, 422, "decrypt_failed").await;
    let public = app.metrics_text().await;
    assert!(
        !public.contains("decrypt_failures_total"),
        "the failure reason is an oracle"
    );
    assert!(
        public.contains(&format!(
            r#"wxsession_decrypt_total{{appid="{APPID}",result="failed"}} 1"#
        )),
        "{public}"
    );
    // With its own listener, operators see the reasons.
    let app = spawn_app_with(|s| s.server.metrics_bind = Some("127.0.0.1:0".into())).await;
    let text = reqwest::get(format!(
        "http://127.0.0.1:{}/metrics",
        app.metrics_port.expect("metrics port")
    ))
    .await
    .expect("scrape")
    .text()
    .await
    .expect("text");
    assert!(text.contains("wxsession_decrypt_failures_total"), "{text}");
}
