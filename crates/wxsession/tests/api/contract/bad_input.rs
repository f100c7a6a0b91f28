//! The bad-input table: one request per row, each with its documented 4xx.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, APPID, TestApp, spawn_app};

enum Body {
    None,
    Json(serde_json::Value),
    Raw(&'static str, Vec<u8>),
}

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    auth: Option<String>,
    body: Body,
    status: u16,
    code: &'static str,
}

fn case(
    name: &'static str,
    method: Method,
    path: &str,
    auth: Option<&str>,
    body: Body,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        auth: auth.map(str::to_owned),
        body,
        status,
        code,
    }
}

async fn send(app: &TestApp, c: &Case) -> reqwest::Response {
    let mut req = app.http.request(c.method.clone(), app.url(&c.path));
    if let Some(auth) = &c.auth {
        req = req.header("authorization", auth);
    }
    req = match &c.body {
        Body::None => req,
        Body::Json(v) => req.json(v),
        Body::Raw(ct, bytes) => req.header("content-type", *ct).body(bytes.clone()),
    };
    req.send().await.expect("request sent")
}

#[tokio::test]
async fn bad_inputs_get_their_documented_4xx() {
    let app = spawn_app().await;
    let token = app.token("nina").await;
    let bearer = format!("Bearer {token}");
    let good = app
        .sim_encrypt(APPID, "nina", json!({"nickName": "Nina"}), "current")
        .await;
    let data = good["encryptedData"].as_str().expect("data").to_owned();
    let iv = good["iv"].as_str().expect("iv").to_owned();
    let b = Some(bearer.as_str());
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let openid = wechat_mock::openid_for(APPID, "nina");
    let admin_path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    let dec = "/v1/sessions/current/decrypt";
    let sessions = "/v1/sessions";
    let json_ct = "application/json";
    let big = "x".repeat(70 * 1024);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let wrong_alphabet = format!("wxs_{}", "!".repeat(43));

    use Method as M;
    #[rustfmt::skip]
    let cases = vec![
        // Login.
        case("malformed json", M::POST, sessions, None, Body::Raw(json_ct, b"{bad".to_vec()), 400, "invalid_request"),
        case("empty body", M::POST, sessions, None, Body::Raw(json_ct, Vec::new()), 400, "invalid_request"),
        case("json array", M::POST, sessions, None, Body::Json(json!([1, 2])), 400, "invalid_request"),
        case("json string", M::POST, sessions, None, Body::Json(json!("code")), 400, "invalid_request"),
        case("missing code", M::POST, sessions, None, Body::Json(json!({})), 400, "invalid_request"),
        case("empty code", M::POST, sessions, None, Body::Json(json!({"code": ""})), 400, "invalid_request"),
        case("null code", M::POST, sessions, None, Body::Json(json!({"code": null})), 400, "invalid_request"),
        case("numeric code", M::POST, sessions, None, Body::Json(json!({"code": 123})), 400, "invalid_request"),
        case("object code", M::POST, sessions, None, Body::Json(json!({"code": {"a": 1}})), 400, "invalid_request"),
        case("huge code", M::POST, sessions, None, Body::Json(json!({"code": "c".repeat(1000)})), 400, "invalid_request"),
        case("control chars in code", M::POST, sessions, None, Body::Json(json!({"code": "abc\u{0}def"})), 400, "invalid_request"),
        case("duplicate keys", M::POST, sessions, None, Body::Raw(json_ct, br#"{"code":"a","code":"b"}"#.to_vec()), 400, "invalid_request"),
        case("non-utf8", M::POST, sessions, None, Body::Raw(json_ct, vec![b'{', b'"', 0xff, 0xfe, b'"', b'}']), 400, "invalid_request"),
        case("deeply nested", M::POST, sessions, None, Body::Raw(json_ct, deep.into_bytes()), 400, "invalid_request"),
        case("text/plain", M::POST, sessions, None, Body::Raw("text/plain", br#"{"code":"a"}"#.to_vec()), 415, "unsupported_media_type"),
        case("form body", M::POST, sessions, None, Body::Raw("application/x-www-form-urlencoded", b"code=a".to_vec()), 415, "unsupported_media_type"),
        case("no content type", M::POST, sessions, None, Body::Raw("", br#"{"code":"a"}"#.to_vec()), 415, "unsupported_media_type"),
        case("too large", M::POST, sessions, None, Body::Json(json!({"code": big})), 413, "payload_too_large"),
        case("unknown appid", M::POST, sessions, None, Body::Json(json!({"code": "a", "appid": "wxnope"})), 400, "unknown_app"),
        case("empty appid", M::POST, sessions, None, Body::Json(json!({"code": "a", "appid": ""})), 400, "unknown_app"),
        case("numeric appid", M::POST, sessions, None, Body::Json(json!({"code": "a", "appid": 5})), 400, "invalid_request"),
        case("invalid code", M::POST, sessions, None, Body::Json(json!({"code": "not-a-real-code"})), 401, "invalid_code"),
        case("blocked user", M::POST, sessions, None, Body::Json(json!({"code": "err:40226:x"})), 403, "user_blocked"),
        case("rate limited", M::POST, sessions, None, Body::Json(json!({"code": "err:45011:x"})), 429, "rate_limited"),
        case("code used upstream", M::POST, sessions, None, Body::Json(json!({"code": "err:40163:x"})), 401, "code_used"),
        case("GET on login", M::GET, sessions, None, Body::None, 405, "method_not_allowed"),
        case("PUT on login", M::PUT, sessions, None, Body::None, 405, "method_not_allowed"),
        // Tokens.
        case("no token", M::GET, "/v1/sessions/current", None, Body::None, 401, "invalid_session"),
        case("basic auth", M::GET, "/v1/sessions/current", Some("Basic dXNlcjpwYXNz"), Body::None, 401, "invalid_session"),
        case("wrong prefix", M::GET, "/v1/auth", Some(&bearer.replace("wxs_", "wxt_")), Body::None, 401, "invalid_session"),
        case("short token", M::GET, "/v1/auth", Some(&bearer[..bearer.len() - 1]), Body::None, 401, "invalid_session"),
        case("long token", M::GET, "/v1/auth", Some(&format!("{bearer}A")), Body::None, 401, "invalid_session"),
        case("wrong alphabet", M::GET, "/v1/auth", Some(&format!("Bearer {wrong_alphabet}")), Body::None, 401, "invalid_session"),
        case("unknown token", M::GET, "/v1/auth", Some(&format!( "Bearer {}", wxsession::domain::token::Token::mint() .expect("rng") .expose() )), Body::None, 401, "invalid_session"),
        case("empty bearer", M::GET, "/v1/auth", Some("Bearer "), Body::None, 401, "invalid_session"),
        case("POST on auth", M::POST, "/v1/auth", b, Body::None, 405, "method_not_allowed"),
        case("PUT on current", M::PUT, "/v1/sessions/current", b, Body::None, 405, "method_not_allowed"),
        // Decrypt.
        case("decrypt without token", M::POST, dec, None, Body::Json(json!({"encryptedData": data, "iv": iv})), 401, "invalid_session"),
        case("decrypt missing iv", M::POST, dec, b, Body::Json(json!({"encryptedData": data})), 400, "invalid_request"),
        case("decrypt missing data", M::POST, dec, b, Body::Json(json!({"iv": iv})), 400, "invalid_request"),
        case("decrypt empty object", M::POST, dec, b, Body::Json(json!({})), 400, "invalid_request"),
        case("decrypt empty data", M::POST, dec, b, Body::Json(json!({"encryptedData": "", "iv": iv})), 400, "invalid_request"),
        case("decrypt bad base64", M::POST, dec, b, Body::Json(json!({"encryptedData": "***", "iv": iv})), 400, "invalid_request"),
        // The URL-safe alphabet's '-' and '_' (random ciphertext may contain neither).
        case("decrypt url-safe base64", M::POST, dec, b, Body::Json(json!({"encryptedData": "AAAA-_AAAAAAAAAAAAAAAA==", "iv": iv})), 400, "invalid_request"),
        case("decrypt missing padding", M::POST, dec, b, Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA", "iv": iv})), 400, "invalid_request"),
        case("decrypt whitespace", M::POST, dec, b, Body::Json(json!({"encryptedData": format!(" {data}"), "iv": iv})), 400, "invalid_request"),
        case("decrypt iv 15 bytes", M::POST, dec, b, Body::Json(json!({"encryptedData": data, "iv": "AAAAAAAAAAAAAAAAAAAA"})), 400, "invalid_request"),
        case("decrypt iv 17 bytes", M::POST, dec, b, Body::Json(json!({"encryptedData": data, "iv": "AAAAAAAAAAAAAAAAAAAAAAA="})), 400, "invalid_request"),
        case("decrypt ciphertext 15 bytes", M::POST, dec, b, Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAA", "iv": iv})), 400, "invalid_request"),
        case("decrypt ciphertext 17 bytes", M::POST, dec, b, Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAAA=", "iv": iv})), 400, "invalid_request"),
        case("decrypt numeric data", M::POST, dec, b, Body::Json(json!({"encryptedData": 5, "iv": iv})), 400, "invalid_request"),
        case("decrypt rawData without signature", M::POST, dec, b, Body::Json(json!({"encryptedData": data, "iv": iv, "rawData": "{}"})), 400, "invalid_request"),
        case("decrypt wrong key data", M::POST, dec, b, Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": iv})), 422, "decrypt_failed"),
        case("decrypt text/plain", M::POST, dec, b, Body::Raw("text/plain", b"{}".to_vec()), 415, "unsupported_media_type"),
        case("decrypt GET", M::GET, dec, b, Body::None, 405, "method_not_allowed"),
        // Admin.
        case("admin without token", M::DELETE, &admin_path, None, Body::None, 401, "invalid_session"),
        case("admin with user token", M::DELETE, &admin_path, b, Body::None, 403, "forbidden"),
        case("admin bad openid", M::DELETE, &format!("/v1/admin/apps/{APPID}/users/a%7Cb/sessions"), Some(&admin), Body::None, 400, "invalid_request"),
        case("admin GET", M::GET, &admin_path, Some(&admin), Body::None, 405, "method_not_allowed"),
        // Routing.
        case("unknown route", M::GET, "/v2/sessions", None, Body::None, 404, "not_found"),
        case("root", M::GET, "/", None, Body::None, 404, "not_found"),
        case("token in query string", M::GET, &format!("/v1/auth?access_token={token}"), None, Body::None, 401, "invalid_session"),
        case("POST healthz", M::POST, "/healthz", None, Body::None, 405, "method_not_allowed"),
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let res = send(&app, c).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
        if status != c.status || code.as_deref() != Some(c.code) {
            failures.push(format!("{}: got {status} {body}", c.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The session survived all of that.
    assert_eq!(
        app.get("/v1/auth", Some(&token)).await.status().as_u16(),
        200
    );
}
