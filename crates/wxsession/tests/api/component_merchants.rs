//! A merchant's mini-program does everything an app does, over real Redis and the simulator:
//! its users' data decrypts with their `session_key` (watermark: the merchant's appid), one
//! person is linked by unionid across two merchants, and the phone number, key status and key
//! reset call WeChat with the merchant's `authorizer_access_token` (the simulator counts which
//! token each call carried). After `unauthorized` each answers its documented 4xx, with no
//! WeChat call.

use serde_json::{Value, json};

use crate::component::{authorize, crypt, deliver_ticket, login, now, push, send, with_platform};
use crate::helpers::{
    ADMIN_TOKEN, Env, MERCHANTS, PLATFORM_APPID, TestApp, expect_error, phone_code_for, spawn_on,
};

/// `unauthorized` for `merchant`, as WeChat pushes it.
pub(crate) fn unauthorized_xml(merchant: &str) -> String {
    format!(
        "<xml><AppId><![CDATA[{PLATFORM_APPID}]]></AppId><CreateTime>{}</CreateTime>\
         <InfoType><![CDATA[unauthorized]]></InfoType>\
         <AuthorizerAppid><![CDATA[{merchant}]]></AuthorizerAppid></xml>",
        now()
    )
}

/// The merchant revokes the platform at WeChat, and the push reaches `app`.
pub(crate) async fn revoke(env: &Env, app: &TestApp, merchant: &str) {
    crate::component::sim(env, "unauthorize", json!({ "appid": merchant })).await;
    let (query, body) = push(&unauthorized_xml(merchant), now(), &crypt(PLATFORM_APPID));
    assert_eq!(send(app, &query, &body).await.status().as_u16(), 200);
}

/// How many `api` calls the simulator saw for `merchant` with one of its authorizer tokens.
fn authorizer_calls(env: &Env, api: &str, merchant: &str) -> u64 {
    let stats = env.sim.component_stats().expect("platform");
    stats
        .authorizer_calls
        .get(&format!("{api} {merchant}"))
        .copied()
        .unwrap_or(0)
}

async fn decrypt(app: &TestApp, token: &str, enc: &Value) -> reqwest::Response {
    app.post_json("/v1/sessions/current/decrypt", enc, Some(token))
        .await
}

async fn key_status(app: &TestApp, token: &str) -> reqwest::Response {
    app.get("/v1/sessions/current/key-status", Some(token))
        .await
}

fn reset_path(merchant: &str, openid: &str) -> String {
    format!("/v1/admin/apps/{merchant}/users/{openid}/session-key/reset")
}

#[tokio::test]
async fn a_merchants_users_decrypt_link_by_unionid_and_reach_wechat_with_its_authorizer_token() {
    let env = Env::new();
    let app = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &app).await;
    let (m0, m1) = (MERCHANTS[0], MERCHANTS[1]);
    authorize(&env, &app, m0).await;
    authorize(&env, &app, m1).await;
    let (status, first) = login(&app, m0, "ann").await;
    assert_eq!(status, 201, "{first}");
    let token = first["session"].as_str().expect("token").to_owned();
    let openid = wechat_mock::openid_for(m0, "ann");
    assert_eq!(first["openid"], openid.as_str());

    // Decrypt: WeChat seals with the user's session_key and the merchant's appid.
    let enc = app
        .sim_encrypt(m0, "ann", json!({"nickName": "Ann"}), "current")
        .await;
    let res = decrypt(&app, &token, &enc).await;
    assert_eq!(res.status().as_u16(), 200);
    let data: Value = res.json().await.expect("json");
    assert_eq!(data["data"]["nickName"], "Ann");
    assert_eq!(data["data"]["watermark"]["appid"], m0);
    // The user's key, but the other merchant's watermark: refused.
    let foreign = app
        .sim_encrypt_raw(
            json!({"appid": m0, "user": "ann", "data": {"x": 1}, "watermark_appid": m1}),
        )
        .await;
    expect_error(decrypt(&app, &token, &foreign).await, 422, "decrypt_failed").await;

    // One person in two merchants' apps of one open-platform account (the simulator gives a
    // user one unionid in every app): linked.
    let (status, second) = login(&app, m1, "ann").await;
    assert_eq!(status, 201, "{second}");
    let unionid = wechat_mock::unionid_for("ann").expect("ann has one");
    assert_eq!(first["unionid"], unionid.as_str());
    assert_eq!(second["unionid"], unionid.as_str());
    let res = app
        .get(&format!("/v1/admin/unions/{unionid}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let person: Value = res.json().await.expect("json");
    let mut accounts: Vec<(String, String)> = person["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            assert_eq!(a["kind"], "miniprogram");
            (
                a["appid"].as_str().unwrap_or_default().to_owned(),
                a["openid"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    accounts.sort();
    let mut expected = vec![
        (m0.to_owned(), openid.clone()),
        (m1.to_owned(), wechat_mock::openid_for(m1, "ann")),
    ];
    expected.sort();
    assert_eq!(accounts, expected);
    assert_eq!(person["sessions"], 2);

    // The phone number: `getuserphonenumber` with the merchant's authorizer token.
    let before = env.sim.stats();
    let res = app.phone(&token, &phone_code_for("ann")).await;
    assert_eq!(res.status().as_u16(), 200);
    let number = wechat_mock::phone_for("ann");
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"phoneNumber": number, "purePhoneNumber": number, "countryCode": "86"})
    );
    assert_eq!(env.sim.stats().phone_requests - before.phone_requests, 1);
    assert_eq!(authorizer_calls(&env, "getuserphonenumber", m0), 1);

    // Key status, then an admin reset, then the status again: each with that token.
    let res = key_status(&app, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"valid": true})
    );
    assert_eq!(authorizer_calls(&env, "checksession", m0), 1);
    let res = app
        .post_json(&reset_path(m0, &openid), &json!({}), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"reset": true})
    );
    assert_eq!(authorizer_calls(&env, "resetusersessionkey", m0), 1);
    let res = key_status(&app, &token).await;
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"valid": true})
    );
    assert_eq!(authorizer_calls(&env, "checksession", m0), 2);
    // Every call of the three reached WeChat with an authorizer token, none with another.
    let key_calls = env.sim.stats().key_requests - before.key_requests;
    assert_eq!(key_calls, 3);
    // Data WeChat seals with the key issued at the reset decrypts.
    let enc = app
        .sim_encrypt(m0, "ann", json!({"after": "reset"}), "current")
        .await;
    let res = decrypt(&app, &token, &enc).await;
    assert_eq!(res.status().as_u16(), 200);
    // The other merchant was never asked anything with its token.
    for api in ["getuserphonenumber", "checksession", "resetusersessionkey"] {
        assert_eq!(authorizer_calls(&env, api, m1), 0, "{api}");
    }
}

#[tokio::test]
async fn after_unauthorized_a_merchants_users_and_admins_get_the_documented_answers() {
    let env = Env::new();
    let app = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &app).await;
    let merchant = MERCHANTS[0];
    authorize(&env, &app, merchant).await;
    let (status, session) = login(&app, merchant, "bea").await;
    assert_eq!(status, 201, "{session}");
    let token = session["session"].as_str().expect("token").to_owned();
    let openid = wechat_mock::openid_for(merchant, "bea");
    let enc = app
        .sim_encrypt(merchant, "bea", json!({"x": 1}), "current")
        .await;
    assert_eq!(decrypt(&app, &token, &enc).await.status().as_u16(), 200);

    revoke(&env, &app, merchant).await;
    let before = env.sim.stats();
    // The session is revoked: every session route answers 401.
    expect_error(decrypt(&app, &token, &enc).await, 401, "invalid_session").await;
    expect_error(
        app.phone(&token, &phone_code_for("bea")).await,
        401,
        "invalid_session",
    )
    .await;
    expect_error(key_status(&app, &token).await, 401, "invalid_session").await;
    // The admin's reset and token read, and a new login: the app is unauthorized.
    let res = app
        .post_json(
            &reset_path(merchant, &openid),
            &json!({}),
            Some(ADMIN_TOKEN),
        )
        .await;
    expect_error(res, 403, "app_unauthorized").await;
    let res = app
        .get(
            &format!("/v1/admin/apps/{merchant}/access-token"),
            Some(ADMIN_TOKEN),
        )
        .await;
    expect_error(res, 403, "app_unauthorized").await;
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({"appid": merchant, "code": crate::helpers::code_for("bea")}),
            None,
        )
        .await;
    expect_error(res, 403, "app_unauthorized").await;
    // None of it asked WeChat anything.
    let after = env.sim.stats();
    assert_eq!(after.phone_requests, before.phone_requests);
    assert_eq!(after.key_requests, before.key_requests);
}
