//! Login: one code, one exchange, one answer; what WeChat's answers become.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{APPID, code_for, eventually, expect_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn one_request_login_with_user_data_and_signature() {
    let app = spawn_app().await;
    // wx.login, then wx.getUserInfo: the data is encrypted with the key this code yields.
    let code = code_for("bob");
    let mut body = app
        .sim_encrypt_raw(json!({"appid": APPID, "code": code, "data": {"nickName": "Bob"}}))
        .await;
    body["code"] = code.clone().into();
    let res = app.post_json("/v1/sessions", &body, None).await;
    assert_eq!(res.status().as_u16(), 201);
    let login: serde_json::Value = res.json().await.expect("json");
    assert_eq!(login["user"]["nickName"], "Bob");
    assert_eq!(login["user"]["watermark"]["appid"], APPID);
    assert!(login.get("user_error").is_none());

    // The same code and body again: the same answer, no second exchange.
    let again: serde_json::Value = app
        .post_json("/v1/sessions", &body, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again, login);
    assert_eq!(app.env.sim.stats().exchanges, 1);

    // A new code, but data from the previous wx.login: the session is still created.
    body["code"] = code_for("bob").into();
    let res = app.post_json("/v1/sessions", &body, None).await;
    assert_eq!(res.status().as_u16(), 201);
    let login: serde_json::Value = res.json().await.expect("json");
    assert!(login["session"].is_string() && login.get("user").is_none());
    assert_eq!(login["user_error"]["code"], "decrypt_failed");

    // A bad rawData signature in the one-request login.
    let code = code_for("bob");
    let mut body = app
        .sim_encrypt_raw(json!({"appid": APPID, "code": code, "data": {"nickName": "Bob"}}))
        .await;
    body["code"] = code.into();
    body["signature"] = "0000000000000000000000000000000000000000".into();
    let login: serde_json::Value = app
        .post_json("/v1/sessions", &body, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(login["user_error"]["code"], "signature_mismatch");

    // Malformed user data does not fail the login either.
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({"code": code_for("carol"), "encryptedData": "AAAA", "iv": "AAAAAAAAAAAAAAAAAAAAAA=="}),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let login: serde_json::Value = res.json().await.expect("json");
    assert_eq!(login["user_error"]["code"], "invalid_request");
}

#[tokio::test]
async fn the_same_code_on_two_replicas_is_exchanged_once() {
    let a = spawn_app().await;
    let b = a.replica().await;
    // A slow upstream widens the race window.
    let code = format!("slow:300:{}", code_for("judy"));
    let body = json!({ "code": code });
    let (ra, rb) = tokio::join!(
        a.post_json("/v1/sessions", &body, None),
        b.post_json("/v1/sessions", &body, None)
    );
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (201, 201));
    let ja: serde_json::Value = ra.json().await.expect("json");
    let jb: serde_json::Value = rb.json().await.expect("json");
    assert_eq!(ja, jb, "one code, one answer");
    // Sent again later, sequentially, to either replica: still the same.
    let jc: serde_json::Value = a
        .post_json("/v1/sessions", &body, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ja, jc);
    assert_eq!(a.env.sim.stats().exchanges, 1, "WeChat saw one exchange");
    assert_eq!(a.env.sim.stats().requests, 1);
}

#[tokio::test]
async fn a_final_error_is_remembered_and_a_transient_one_is_not() {
    let app = spawn_app().await;
    let body = json!({ "code": "err:40029:once" });
    for _ in 0..3 {
        let res = app.post_json("/v1/sessions", &body, None).await;
        assert_eq!(res.status().as_u16(), 401);
    }
    assert_eq!(
        app.env.sim.stats().requests,
        1,
        "40029 is answered from the store"
    );

    let before = app.env.sim.stats().requests;
    let body = json!({ "code": "http:502:transient" });
    for _ in 0..2 {
        let res = app.post_json("/v1/sessions", &body, None).await;
        assert_eq!(res.status().as_u16(), 503);
    }
    assert_eq!(
        app.env.sim.stats().requests - before,
        2,
        "not remembered: each attempt reaches WeChat, once (a gateway's 5xx may come after \
         WeChat spent the code, so the service never sends a code again by itself)"
    );
}

#[tokio::test]
async fn upstream_timeout_is_504_and_unreachable_is_503() {
    let app = spawn_app_with(|s| {
        s.wechat.timeout_ms = 200;
        s.wechat.retries = 0;
    })
    .await;
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({"code": format!("slow:1000:{}", code_for("x"))}),
            None,
        )
        .await;
    expect_error(res, 504, "wechat_timeout").await;

    let closed = crate::helpers::free_port();
    let app = spawn_app_with(|s| {
        s.wechat.api_base = format!("http://127.0.0.1:{closed}");
        s.wechat.retries = 1;
    })
    .await;
    let res = app
        .post_json("/v1/sessions", &json!({"code": "anything"}), None)
        .await;
    assert_eq!(res.headers()["retry-after"], "1");
    expect_error(res, 503, "wechat_unavailable").await;
}

/// Finding 7: identities from WeChat that we could not carry safely are refused.
#[tokio::test]
async fn malformed_identities_from_wechat_are_a_502() {
    let app = spawn_app().await;
    for code in [
        "badid:crlf:1",
        "badid:long:2",
        "badid:quote:3",
        "badid:unicode:4",
    ] {
        let res = app
            .post_json("/v1/sessions", &json!({ "code": code }), None)
            .await;
        expect_error(res, 502, "wechat_error").await;
    }
    assert!(
        app.keys_with_ttl()
            .await
            .iter()
            .all(|(k, _)| !k.contains(":s:"))
    );
}

/// Finding 4: concurrent WeChat calls per app are bounded; the excess gets 503 + Retry-After.
#[tokio::test]
async fn concurrent_wechat_calls_per_app_are_bounded() {
    let app = spawn_app_with(|s| s.wechat.max_concurrent_calls_per_app = 2).await;
    let slow = |i: usize| {
        let app = &app;
        async move {
            app.post_json(
                "/v1/sessions",
                &json!({ "code": format!("slow:700:user:busy{i}:{}", uuid::Uuid::new_v4()) }),
                None,
            )
            .await
        }
    };
    let results = join_all((0..6).map(slow)).await;
    let mut created = 0;
    let mut refused = 0;
    for res in results {
        match res.status().as_u16() {
            201 => created += 1,
            503 => {
                assert_eq!(res.headers()["retry-after"], "1");
                expect_error(res, 503, "wechat_unavailable").await;
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, refused), (2, 4));
    let text = app.metrics_text().await;
    assert!(
        text.contains(&format!(
            r#"wxsession_wechat_calls_refused_total{{appid="{APPID}"}} 4"#
        )),
        "{text}"
    );
    // The bound is released: the next login goes through.
    app.login("after").await;
}

#[tokio::test]
async fn a_slow_wechat_does_not_delay_validation() {
    let app = spawn_app().await;
    let token = app.token("fast").await;
    let slow: Vec<_> = (0..16)
        .map(|_| {
            let http = app.http.clone();
            let url = app.url("/v1/sessions");
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({"code": format!("slow:800:{}", code_for("slowpoke"))}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // Wait until the slow logins are at the simulator, then validate meanwhile.
    let app_ref = &app;
    assert!(
        eventually(Duration::from_secs(5), || async move {
            app_ref.env.sim.stats().requests >= 17
        })
        .await
    );
    for _ in 0..20 {
        assert_eq!(
            app.get("/v1/auth", Some(&token)).await.status().as_u16(),
            200
        );
    }
    // All twenty validations were answered while every slow login was still waiting on WeChat.
    assert!(
        slow.iter().all(|t| !t.is_finished()),
        "validations waited behind slow logins"
    );
    for t in slow {
        assert_eq!(t.await.expect("task").expect("answered"), 201);
    }
}
