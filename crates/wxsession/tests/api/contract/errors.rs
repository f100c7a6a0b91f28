//! Every error code with its status and exact JSON, and bad inputs across all endpoints: each
//! gets its documented 4xx, never a 5xx.

use serde_json::json;

use crate::helpers::{
    ADMIN_TOKEN, APPID, TestApp, code_for, error_of, expect_error, spawn_app, spawn_app_with,
};

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
