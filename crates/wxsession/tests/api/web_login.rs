//! The browser logins' security contract: a start writes nothing to Redis, starts and callbacks
//! share one per-address limit, a state is used once, a code yields at most one session
//! whatever the state presenting it, snapshot-mode users get none, and the cookies' rules.

use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::json;

use crate::helpers::{
    ALLOWED_ORIGIN, APPID, OFFICIAL_APPID, SESSION_COOKIE, STATE_COOKIE, TestApp, WEBSITE_APPID,
    expect_error, location, set_cookie, spawn_app_with, with_every_kind,
};

/// A started login, by hand: the state cookie and the `state` WeChat will send back.
async fn start(app: &TestApp, appid: &str) -> (String, String) {
    let res = app.web_login_start(appid, "/me").await;
    assert_eq!(res.status().as_u16(), 302);
    let (cookie, _) = set_cookie(&res, STATE_COOKIE).expect("a state cookie");
    let to = location(&res);
    let nonce = to
        .split("state=")
        .nth(1)
        .and_then(|rest| rest.split('#').next())
        .expect("a state")
        .to_owned();
    (cookie, nonce)
}

fn callback(app: &TestApp, appid: &str, code: &str, nonce: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("state", nonce)
        .finish();
    app.url(&format!("/v1/web/{appid}/callback?{query}"))
}

/// A mini-program's bearer token (several apps are configured: the login names its appid).
async fn mini_token(app: &TestApp, user: &str) -> String {
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({"appid": APPID, "code": fresh(user)}),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let body: serde_json::Value = res.json().await.expect("json");
    body["session"].as_str().expect("token").to_owned()
}

fn fresh(user: &str) -> String {
    format!("user:{user}:{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn starting_a_web_login_writes_nothing_to_redis() {
    let app = spawn_app_with(|s| {
        with_every_kind(s);
        s.limits.web_login_per_ip_per_minute = 0;
    })
    .await;
    let longest = format!("/{}", "x".repeat(511));
    for _ in 0..50 {
        let res = app.web_login_start(WEBSITE_APPID, &longest).await;
        assert_eq!(res.status().as_u16(), 302);
    }
    let keys = app.keys_with_ttl().await;
    assert!(keys.is_empty(), "a start stored {keys:?}");
    // return_to is at most 512 bytes: it travels in the cookie.
    let res = app
        .web_login_start(WEBSITE_APPID, &format!("{longest}x"))
        .await;
    expect_error(res, 400, "invalid_request").await;
    // The cookie carries where to return: the callback still gets there.
    let consent = app.web_consent(WEBSITE_APPID, "nina", true).await;
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/me");
}

#[tokio::test]
async fn web_login_starts_and_callbacks_share_one_per_ip_limit() {
    let app = spawn_app_with(|s| {
        with_every_kind(s);
        s.limits.web_login_per_ip_per_minute = 4;
        s.limits.login_per_ip_per_minute = 1;
    })
    .await;
    app.env.clock.to_next_minute(0);
    // A start and its callback: 2 of 4.
    let consent = app.web_consent(WEBSITE_APPID, "ivy", true).await;
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    // Two more starts: 4 of 4 (the mini-program's login limit is another budget).
    let (cookie, nonce) = start(&app, WEBSITE_APPID).await;
    let _ = start(&app, OFFICIAL_APPID).await;
    expect_error(
        app.web_login_start(WEBSITE_APPID, "/").await,
        429,
        "rate_limited",
    )
    .await;
    let res = app
        .web_callback(
            &callback(&app, WEBSITE_APPID, &fresh("ivy"), &nonce),
            Some(&cookie),
        )
        .await;
    expect_error(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_spent_web_login_code_never_yields_a_session_again() {
    let app = spawn_app_with(with_every_kind).await;
    let victim = app.web_consent(WEBSITE_APPID, "vic", true).await;
    let res = app
        .web_callback(&victim.callback, Some(&victim.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let code = url::Url::parse(&victim.callback)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    // The attacker's own fresh state with the victim's code (from a logged URL).
    let (cookie, nonce) = start(&app, WEBSITE_APPID).await;
    let res = app
        .web_callback(&callback(&app, WEBSITE_APPID, &code, &nonce), Some(&cookie))
        .await;
    assert!(set_cookie(&res, SESSION_COOKIE).is_none(), "no session");
    expect_error(res, 401, "code_used").await;
    // The state's answer is kept as long as the state is valid (600 s), not the code's 300 s.
    let keys = app.keys_with_ttl().await;
    assert!(
        keys.iter().any(|(k, ttl)| k.contains(":c:") && *ttl > 300),
        "{keys:?}"
    );
    // The victim's own callback again: a state is used once.
    let res = app
        .web_callback(&victim.callback, Some(&victim.state_cookie))
        .await;
    assert!(set_cookie(&res, SESSION_COOKIE).is_none(), "no session");
    expect_error(res, 400, "invalid_state").await;
}

#[tokio::test]
async fn one_callback_presented_twice_at_once_gets_one_session() {
    let app = spawn_app_with(with_every_kind).await;
    let (cookie, nonce) = start(&app, WEBSITE_APPID).await;
    // WeChat takes 400 ms: the second presentation arrives while the first is in flight.
    let url = callback(
        &app,
        WEBSITE_APPID,
        &format!("slow:400:{}", fresh("tia")),
        &nonce,
    );
    let (a, b) = tokio::join!(
        app.web_callback(&url, Some(&cookie)),
        app.web_callback(&url, Some(&cookie))
    );
    let a = set_cookie(&a, SESSION_COOKIE).expect("a session").0;
    let b = set_cookie(&b, SESSION_COOKIE).expect("a session").0;
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_snapshot_mode_user_gets_no_session() {
    let app = spawn_app_with(with_every_kind).await;
    let consent = app.web_consent(OFFICIAL_APPID, "snapshot-sue", true).await;
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/me?wx_error=snapshot_user");
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    let metrics = app.metrics_text().await;
    let line = format!(
        "wxsession_web_logins_total{{appid=\"{OFFICIAL_APPID}\",result=\"snapshot_user\"}} 1"
    );
    assert!(metrics.contains(&line), "{metrics}");
    assert!(
        app.keys_with_ttl()
            .await
            .iter()
            .all(|(k, _)| !k.contains(":u:"))
    );
}

#[tokio::test]
async fn session_cookies_are_host_cookies_read_once_and_for_web_apps_only() {
    let app = spawn_app_with(with_every_kind).await;
    let session = app.web_session(WEBSITE_APPID, "hana").await;
    let get = |cookie: String| {
        app.http
            .get(app.url("/v1/sessions/current"))
            .header(COOKIE, cookie)
            .send()
    };
    // The old name is still read (a rolling upgrade logs nobody out).
    let res = get(format!("wxs_session={session}")).await.expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    // A percent-encoded name is another cookie, which anyone may set: never read as ours.
    let encoded = format!("__Host%2Dwxs_session={session}");
    expect_error(get(encoded).await.expect("sent"), 401, "invalid_session").await;
    let beside = format!("{SESSION_COOKIE}={session}; __Host%2Dwxs_session=wxs_planted");
    assert_eq!(get(beside).await.expect("sent").status().as_u16(), 200);
    // Two cookies of one name: one of them was planted.
    for twice in [
        format!("{SESSION_COOKIE}={session}; {SESSION_COOKIE}={session}"),
        format!("wxs_session={session}; wxs_session=wxs_other"),
    ] {
        expect_error(get(twice).await.expect("sent"), 401, "invalid_session").await;
    }
    // A mini-program's bearer token is not a cookie.
    let bearer = mini_token(&app, "hana").await;
    let res = get(format!("{SESSION_COOKIE}={bearer}"))
        .await
        .expect("sent");
    expect_error(res, 401, "invalid_session").await;
    assert_eq!(
        app.get("/v1/sessions/current", Some(&bearer))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn forward_auth_holds_cookie_state_changes_to_the_origin_rule() {
    let app = spawn_app_with(with_every_kind).await;
    let session = app.web_session(WEBSITE_APPID, "otto").await;
    let auth = |headers: &[(&str, &str)]| {
        let mut req = app.with_cookie(Method::GET, "/v1/auth", &session, None);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send()
    };
    for (headers, want) in [
        (&[][..], 200),
        (&[("x-forwarded-method", "GET")][..], 200),
        (&[("x-forwarded-method", "POST")][..], 403),
        (&[("x-original-method", "DELETE")][..], 403),
        (
            &[
                ("x-forwarded-method", "POST"),
                ("origin", "https://evil.example"),
            ][..],
            403,
        ),
        (
            &[("x-original-method", "PUT"), ("origin", ALLOWED_ORIGIN)][..],
            200,
        ),
        (&[("x-forwarded-method", "HEAD")][..], 200),
    ] {
        let res = auth(headers).await.expect("sent");
        assert_eq!(res.status().as_u16(), want, "{headers:?}");
    }
    // A bearer token is no browser's ambient credential: unchanged.
    let token = mini_token(&app, "otto").await;
    let res = app
        .http
        .get(app.url("/v1/auth"))
        .bearer_auth(&token)
        .header("x-forwarded-method", "POST")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
}
