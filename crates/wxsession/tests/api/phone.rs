//! The phone number (SPEC §10): one WeChat call per phone code, errcodes mapped, the session
//! untouched by failures; the key status and the admin reset of a user's key.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_TOKEN, APPID, TestApp, expect_error, phone_code_for, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn a_phone_code_presented_four_times_at_once_is_one_wechat_call() {
    let app = spawn_app().await;
    let token = app.token("pat").await;
    let code = phone_code_for("pat");
    let answers = join_all((0..4).map(|_| async {
        let res = app.phone(&token, &code).await;
        assert_eq!(res.status().as_u16(), 200);
        res.json::<Value>().await.expect("json")
    }))
    .await;
    let number = wechat_mock::phone_for("pat");
    for answer in &answers {
        assert_eq!(
            answer,
            &json!({"phoneNumber": number, "purePhoneNumber": number, "countryCode": "86"})
        );
    }
    assert_eq!(app.env.sim.stats().phone_requests, 1);
    // Later, the same code still gets the same answer without a call.
    let again = app
        .phone(&token, &code)
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(again, answers[0]);
    assert_eq!(app.env.sim.stats().phone_requests, 1);
    // Another session presenting it is its own caller: WeChat refuses a spent code.
    let other = app.token("pat").await;
    expect_error(app.phone(&other, &code).await, 422, "invalid_phone_code").await;
    // Redis never holds the number in the clear.
    let mut conn = app.redis().await;
    for (key, _) in app.keys_with_ttl().await {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("TYPE");
        if kind == "string" {
            let value: Vec<u8> = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .expect("GET");
            assert!(!String::from_utf8_lossy(&value).contains(&number), "{key}");
        }
    }
}

#[tokio::test]
async fn phone_errcodes_map_to_their_codes_and_the_session_survives() {
    let app = spawn_app_with(|s| {
        s.wechat.retries = 1;
        // More lookups than one session may make in a minute.
        s.limits.phone_lookups_per_session_per_minute = 0;
    })
    .await;
    let token = app.token("errs").await;
    #[rustfmt::skip]
    let cases = [
        ("err:40029:a", 422, "invalid_phone_code"),
        ("err:40163:b", 422, "invalid_phone_code"),
        ("phone:someone-else:c", 422, "invalid_phone_code"),
        ("user:errs:d", 422, "invalid_phone_code"),
        ("err:45011:e", 429, "rate_limited"),
        ("err:40013:f", 502, "wechat_error"),
        ("err:40125:g", 502, "wechat_error"),
        ("err:47001:h", 502, "wechat_error"),
        ("garbage:i", 502, "wechat_error"),
        ("err:-1:j", 503, "wechat_unavailable"),
        ("http:500:k", 503, "wechat_unavailable"),
        ("slow:2500:phone:errs:l", 504, "wechat_timeout"),
    ];
    for (code, status, expected) in cases {
        let res = app.phone(&token, code).await;
        assert_eq!(res.status().as_u16(), status, "{code}");
        expect_error(res, status, expected).await;
    }
    for (body, expected) in [
        (json!({}), "invalid_request"),
        (json!({"code": ""}), "invalid_request"),
    ] {
        let res = app
            .post_json("/v1/sessions/current/phone", &body, Some(&token))
            .await;
        expect_error(res, 400, expected).await;
    }
    expect_error(
        app.phone("wxs_nope", "phone:errs:z").await,
        401,
        "invalid_session",
    )
    .await;
    assert_eq!(
        app.get("/v1/auth", Some(&token)).await.status().as_u16(),
        200
    );
    // A code that failed transiently can be presented again and succeed.
    let code = phone_code_for("errs");
    assert_eq!(app.phone(&token, &code).await.status().as_u16(), 200);
}

#[tokio::test]
async fn key_status_follows_wechat_and_an_admin_reset_issues_a_new_key() {
    let app = spawn_app().await;
    let login = app.login("kim").await;
    let token = login["session"].as_str().expect("token").to_owned();
    let openid = login["openid"].as_str().expect("openid").to_owned();
    assert_eq!(key_status(&app, &token).await, json!({"valid": true}));
    // The user logged in somewhere we never saw: WeChat holds another key now.
    app.sim_post("/__sim/replace-key", json!({"appid": APPID, "user": "kim"}))
        .await;
    assert_eq!(key_status(&app, &token).await, json!({"valid": false}));
    // An admin reset fails while we do not hold WeChat's current key…
    let reset = format!("/v1/admin/apps/{APPID}/users/{openid}/session-key/reset");
    let res = app.post_json(&reset, &json!({}), Some(ADMIN_TOKEN)).await;
    expect_error(res, 502, "wechat_error").await;
    // …and works after a fresh login.
    let token = app.token("kim").await;
    let res = app.post_json(&reset, &json!({}), Some(ADMIN_TOKEN)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"reset": true})
    );
    assert_eq!(key_status(&app, &token).await, json!({"valid": true}));
    // Data WeChat encrypts with the key issued at the reset decrypts.
    let enc = app
        .sim_encrypt(APPID, "kim", json!({"after": "reset"}), "current")
        .await;
    let res = app
        .post_json("/v1/sessions/current/decrypt", &enc, Some(&token))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    // An unknown user has no key to reset; only the admin may reset.
    let res = app
        .post_json(
            &format!("/v1/admin/apps/{APPID}/users/oNobody/session-key/reset"),
            &json!({}),
            Some(ADMIN_TOKEN),
        )
        .await;
    expect_error(res, 404, "not_found").await;
    let res = app.post_json(&reset, &json!({}), Some(&token)).await;
    expect_error(res, 403, "forbidden").await;
}

#[tokio::test]
async fn apps_without_an_access_token_refuse_phone_lookups() {
    let app = spawn_app_with(|s| {
        s.apps[0].access_token = Some(wxsession::settings::AccessTokenMode::Off);
    })
    .await;
    let token = app.token("off").await;
    expect_error(
        app.phone(&token, &phone_code_for("off")).await,
        400,
        "invalid_request",
    )
    .await;
    let res = app
        .get("/v1/sessions/current/key-status", Some(&token))
        .await;
    expect_error(res, 400, "invalid_request").await;
    assert_eq!(app.env.sim.stats().token_fetches, 0);
}

async fn key_status(app: &TestApp, token: &str) -> Value {
    let res = app
        .get("/v1/sessions/current/key-status", Some(token))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    res.json::<Value>().await.expect("json")
}
