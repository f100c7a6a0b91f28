//! The seed flow end to end: login → introspect → decrypt → auth → logout → token dead.

use serde_json::json;

use crate::helpers::{APPID, OTHER_APPID, code_for, expect_error, spawn_app};

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
async fn signature_mismatch_is_422() {
    let app = spawn_app().await;
    let login = app.login("dave").await;
    let token = login["session"].as_str().expect("token");
    let mut enc = app
        .sim_encrypt(APPID, "dave", json!({"nickName": "Dave"}), "current")
        .await;
    enc["rawData"] = r#"{"nickName":"Mallory"}"#.into();
    expect_error(
        app.post_json("/v1/sessions/current/decrypt", &enc, Some(token))
            .await,
        422,
        "signature_mismatch",
    )
    .await;
}

#[tokio::test]
async fn tampered_iv_is_decrypt_failed() {
    let app = spawn_app().await;
    let login = app.login("erin").await;
    let token = login["session"].as_str().expect("token");
    let enc = app
        .sim_encrypt(APPID, "erin", json!({"x": 1}), "current")
        .await;
    // A wrong iv garbles the first block: the JSON no longer parses.
    let tampered = json!({"encryptedData": enc["encryptedData"], "iv": "AAAAAAAAAAAAAAAAAAAAAA=="});
    let err = expect_error(
        app.post_json("/v1/sessions/current/decrypt", &tampered, Some(token))
            .await,
        422,
        "decrypt_failed",
    )
    .await;
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("wx.login")
    );
}

#[tokio::test]
async fn watermark_of_another_app_is_decrypt_failed() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let login = app.login("frank").await;
    let token = login["session"].as_str().expect("token");
    // The user's real key, but a watermark naming another app.
    let enc = app
        .sim_encrypt_raw(json!({"appid": APPID, "user": "frank", "data": {"x": 1}, "watermark_appid": OTHER_APPID}))
        .await;
    expect_error(
        app.post_json("/v1/sessions/current/decrypt", &enc, Some(token))
            .await,
        422,
        "decrypt_failed",
    )
    .await;
    let metrics = app.operator_metrics_text().await;
    assert!(
        metrics.contains(&format!(
            "wxsession_decrypt_failures_total{{appid=\"{APPID}\",reason=\"watermark\"}} 1"
        )),
        "{metrics}"
    );
}
