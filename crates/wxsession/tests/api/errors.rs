//! Every error code with its status and exact JSON, and a table of bad inputs across all
//! endpoints: each gets its documented 4xx, never a 5xx.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    ADMIN_TOKEN, APPID, TestApp, code_for, error_of, expect_error, spawn_app, spawn_app_with,
};

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
    let cases = vec![
        // Login.
        case(
            "malformed json",
            M::POST,
            sessions,
            None,
            Body::Raw(json_ct, b"{bad".to_vec()),
            400,
            "invalid_request",
        ),
        case(
            "empty body",
            M::POST,
            sessions,
            None,
            Body::Raw(json_ct, Vec::new()),
            400,
            "invalid_request",
        ),
        case(
            "json array",
            M::POST,
            sessions,
            None,
            Body::Json(json!([1, 2])),
            400,
            "invalid_request",
        ),
        case(
            "json string",
            M::POST,
            sessions,
            None,
            Body::Json(json!("code")),
            400,
            "invalid_request",
        ),
        case(
            "missing code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({})),
            400,
            "invalid_request",
        ),
        case(
            "empty code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": ""})),
            400,
            "invalid_request",
        ),
        case(
            "null code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": null})),
            400,
            "invalid_request",
        ),
        case(
            "numeric code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": 123})),
            400,
            "invalid_request",
        ),
        case(
            "object code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": {"a": 1}})),
            400,
            "invalid_request",
        ),
        case(
            "huge code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "c".repeat(1000)})),
            400,
            "invalid_request",
        ),
        case(
            "control chars in code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "abc\u{0}def"})),
            400,
            "invalid_request",
        ),
        case(
            "duplicate keys",
            M::POST,
            sessions,
            None,
            Body::Raw(json_ct, br#"{"code":"a","code":"b"}"#.to_vec()),
            400,
            "invalid_request",
        ),
        case(
            "non-utf8",
            M::POST,
            sessions,
            None,
            Body::Raw(json_ct, vec![b'{', b'"', 0xff, 0xfe, b'"', b'}']),
            400,
            "invalid_request",
        ),
        case(
            "deeply nested",
            M::POST,
            sessions,
            None,
            Body::Raw(json_ct, deep.into_bytes()),
            400,
            "invalid_request",
        ),
        case(
            "text/plain",
            M::POST,
            sessions,
            None,
            Body::Raw("text/plain", br#"{"code":"a"}"#.to_vec()),
            415,
            "unsupported_media_type",
        ),
        case(
            "form body",
            M::POST,
            sessions,
            None,
            Body::Raw("application/x-www-form-urlencoded", b"code=a".to_vec()),
            415,
            "unsupported_media_type",
        ),
        case(
            "no content type",
            M::POST,
            sessions,
            None,
            Body::Raw("", br#"{"code":"a"}"#.to_vec()),
            415,
            "unsupported_media_type",
        ),
        case(
            "too large",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": big})),
            413,
            "payload_too_large",
        ),
        case(
            "unknown appid",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "a", "appid": "wxnope"})),
            400,
            "unknown_app",
        ),
        case(
            "empty appid",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "a", "appid": ""})),
            400,
            "unknown_app",
        ),
        case(
            "numeric appid",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "a", "appid": 5})),
            400,
            "invalid_request",
        ),
        case(
            "invalid code",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "not-a-real-code"})),
            401,
            "invalid_code",
        ),
        case(
            "blocked user",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "err:40226:x"})),
            403,
            "user_blocked",
        ),
        case(
            "rate limited",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "err:45011:x"})),
            429,
            "rate_limited",
        ),
        case(
            "code used upstream",
            M::POST,
            sessions,
            None,
            Body::Json(json!({"code": "err:40163:x"})),
            401,
            "code_used",
        ),
        case(
            "GET on login",
            M::GET,
            sessions,
            None,
            Body::None,
            405,
            "method_not_allowed",
        ),
        case(
            "PUT on login",
            M::PUT,
            sessions,
            None,
            Body::None,
            405,
            "method_not_allowed",
        ),
        // Tokens.
        case(
            "no token",
            M::GET,
            "/v1/sessions/current",
            None,
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "basic auth",
            M::GET,
            "/v1/sessions/current",
            Some("Basic dXNlcjpwYXNz"),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "wrong prefix",
            M::GET,
            "/v1/auth",
            Some(&bearer.replace("wxs_", "wxt_")),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "short token",
            M::GET,
            "/v1/auth",
            Some(&bearer[..bearer.len() - 1]),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "long token",
            M::GET,
            "/v1/auth",
            Some(&format!("{bearer}A")),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "wrong alphabet",
            M::GET,
            "/v1/auth",
            Some(&format!("Bearer {wrong_alphabet}")),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "unknown token",
            M::GET,
            "/v1/auth",
            Some(&format!(
                "Bearer {}",
                wxsession::domain::token::Token::mint()
                    .expect("rng")
                    .expose()
            )),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "empty bearer",
            M::GET,
            "/v1/auth",
            Some("Bearer "),
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "POST on auth",
            M::POST,
            "/v1/auth",
            b,
            Body::None,
            405,
            "method_not_allowed",
        ),
        case(
            "PUT on current",
            M::PUT,
            "/v1/sessions/current",
            b,
            Body::None,
            405,
            "method_not_allowed",
        ),
        // Decrypt.
        case(
            "decrypt without token",
            M::POST,
            dec,
            None,
            Body::Json(json!({"encryptedData": data, "iv": iv})),
            401,
            "invalid_session",
        ),
        case(
            "decrypt missing iv",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": data})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt missing data",
            M::POST,
            dec,
            b,
            Body::Json(json!({"iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt empty object",
            M::POST,
            dec,
            b,
            Body::Json(json!({})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt empty data",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": "", "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt bad base64",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": "***", "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt url-safe base64",
            M::POST,
            dec,
            b,
            // The URL-safe alphabet's '-' and '_' (random ciphertext may contain neither).
            Body::Json(json!({"encryptedData": "AAAA-_AAAAAAAAAAAAAAAA==", "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt missing padding",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA", "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt whitespace",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": format!(" {data}"), "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt iv 15 bytes",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": data, "iv": "AAAAAAAAAAAAAAAAAAAA"})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt iv 17 bytes",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": data, "iv": "AAAAAAAAAAAAAAAAAAAAAAA="})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt ciphertext 15 bytes",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAA", "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt ciphertext 17 bytes",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAAA=", "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt numeric data",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": 5, "iv": iv})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt rawData without signature",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": data, "iv": iv, "rawData": "{}"})),
            400,
            "invalid_request",
        ),
        case(
            "decrypt wrong key data",
            M::POST,
            dec,
            b,
            Body::Json(json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": iv})),
            422,
            "decrypt_failed",
        ),
        case(
            "decrypt text/plain",
            M::POST,
            dec,
            b,
            Body::Raw("text/plain", b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        case(
            "decrypt GET",
            M::GET,
            dec,
            b,
            Body::None,
            405,
            "method_not_allowed",
        ),
        // Admin.
        case(
            "admin without token",
            M::DELETE,
            &admin_path,
            None,
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "admin with user token",
            M::DELETE,
            &admin_path,
            b,
            Body::None,
            403,
            "forbidden",
        ),
        case(
            "admin bad openid",
            M::DELETE,
            &format!("/v1/admin/apps/{APPID}/users/a%7Cb/sessions"),
            Some(&admin),
            Body::None,
            400,
            "invalid_request",
        ),
        case(
            "admin GET",
            M::GET,
            &admin_path,
            Some(&admin),
            Body::None,
            405,
            "method_not_allowed",
        ),
        // Routing.
        case(
            "unknown route",
            M::GET,
            "/v2/sessions",
            None,
            Body::None,
            404,
            "not_found",
        ),
        case("root", M::GET, "/", None, Body::None, 404, "not_found"),
        case(
            "token in query string",
            M::GET,
            &format!("/v1/auth?access_token={token}"),
            None,
            Body::None,
            401,
            "invalid_session",
        ),
        case(
            "POST healthz",
            M::POST,
            "/healthz",
            None,
            Body::None,
            405,
            "method_not_allowed",
        ),
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

#[tokio::test]
async fn error_bodies_are_exact() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/v1/sessions/current"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(res.headers()["x-request-id"], "req-123");
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": {
            "code": "invalid_session",
            "message": "the session is missing, invalid or expired: log in again",
            "request_id": "req-123"
        }})
    );

    let expectations = [
        (
            "err:45011:a",
            429,
            "rate_limited",
            "too many requests: retry later",
            Some("1"),
        ),
        (
            "err:40029:a",
            401,
            "invalid_code",
            "the login code is invalid or expired: call wx.login again",
            None,
        ),
        (
            "err:40163:a",
            401,
            "code_used",
            "the login code was already used: call wx.login again",
            None,
        ),
        (
            "err:40226:a",
            403,
            "user_blocked",
            "the user is blocked by WeChat",
            None,
        ),
        (
            "err:40013:a",
            502,
            "wechat_error",
            "WeChat returned an error",
            None,
        ),
        (
            "garbage:a",
            502,
            "wechat_error",
            "WeChat returned an error",
            None,
        ),
        (
            "html:a",
            502,
            "wechat_error",
            "WeChat returned an error",
            None,
        ),
        (
            "err:-1:a",
            503,
            "wechat_unavailable",
            "WeChat is unavailable: retry later",
            Some("1"),
        ),
        (
            "http:500:a",
            503,
            "wechat_unavailable",
            "WeChat is unavailable: retry later",
            Some("1"),
        ),
    ];
    for (code, status, error, message, retry_after) in expectations {
        let res = app
            .post_json("/v1/sessions", &json!({"code": code}), None)
            .await;
        assert_eq!(res.status().as_u16(), status, "{code}");
        assert_eq!(
            res.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            retry_after,
            "{code}"
        );
        let (_, err) = error_of(res).await;
        assert_eq!(err["code"], error, "{code}");
        assert_eq!(err["message"], message, "{code}");
    }
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

#[tokio::test]
async fn appid_rules_with_several_apps() {
    let app = spawn_app_with(|s| {
        s.apps.push(crate::helpers::app(
            crate::helpers::OTHER_APPID,
            crate::helpers::OTHER_SECRET,
        ));
    })
    .await;
    expect_error(
        app.post_json("/v1/sessions", &json!({"code": code_for("p")}), None)
            .await,
        400,
        "unknown_app",
    )
    .await;
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({"code": code_for("p"), "appid": crate::helpers::OTHER_APPID}),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["appid"], crate::helpers::OTHER_APPID);
    assert_eq!(
        body["unionid"],
        wechat_mock::unionid_for("p").expect("unionid")
    );
}

#[tokio::test]
async fn admin_api_is_absent_without_a_token() {
    let app = spawn_app_with(|s| s.admin.token = None).await;
    expect_error(
        app.delete(
            &format!("/v1/admin/apps/{APPID}/users/someone/sessions"),
            Some(ADMIN_TOKEN),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

/// Sends raw bytes and returns the status line's code and the body.
async fn raw(app: &TestApp, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut buf),
    )
    .await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn protocol_level_abuse_gets_a_4xx() {
    let app = spawn_app().await;
    // Too many headers: rejected by the HTTP layer before the app (431, empty body).
    let mut many = b"GET /v1/auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_vec();
    for i in 0..200 {
        many.extend(format!("X-H{i}: v\r\n").into_bytes());
    }
    many.extend(b"\r\n");
    assert_eq!(raw(&app, &many).await.0, 431);
    // One huge header is just a header: the token is missing, so 401.
    let mut big = b"GET /v1/auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ".to_vec();
    big.extend(vec![b'a'; 100_000]);
    big.extend(b"\r\n\r\n");
    let (status, body) = raw(&app, &big).await;
    assert_eq!(status, 401, "{body}");
    // An oversized chunked body without Content-Length: 413 in the documented JSON.
    let mut chunked = b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n11170\r\n".to_vec();
    chunked.extend(vec![b'a'; 70_000]);
    chunked.extend(b"\r\n0\r\n\r\n");
    let (status, body) = raw(&app, &chunked).await;
    assert_eq!(status, 413);
    assert!(body.contains("\"payload_too_large\""), "{body}");
    // A request line that is not HTTP.
    assert_eq!(raw(&app, b"GARBAGE\r\n\r\n").await.0, 400);
    // Non-UTF-8 bytes in the Authorization header.
    let (status, body) = raw(
        &app,
        b"GET /v1/auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer wxs_\xff\xfe\r\n\r\n",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // The service still serves.
    assert_eq!(app.get("/healthz", None).await.status().as_u16(), 200);
}
