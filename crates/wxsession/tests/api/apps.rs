//! One user across WeChat apps (SPEC §11): mobile logins, the website and official-account
//! browser flows with cookie sessions, their refusals, and linking by unionid.

use reqwest::Method;
use serde_json::{Value, json};
use wechat_mock::{openid_for, unionid_for};

use crate::helpers::{
    ADMIN_TOKEN, ALLOWED_ORIGIN, APPID, MOBILE_APPID, OFFICIAL_APPID, PUBLIC_URL, SESSION_COOKIE,
    STATE_COOKIE, TestApp, WEBSITE_APPID, code_for, expect_error, location, phone_code_for,
    set_cookie, spawn_app_with, with_every_kind,
};

async fn every_kind() -> TestApp {
    spawn_app_with(with_every_kind).await
}

async fn admin(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.http
        .request(method, app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("admin request")
}

/// A mini-program login naming its appid (several apps are configured).
async fn login_mini(app: &TestApp, user: &str) -> Value {
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({ "appid": APPID, "code": code_for(user) }),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    res.json().await.expect("json")
}

#[tokio::test]
async fn a_website_qr_login_gives_a_cookie_session() {
    let app = every_kind().await;
    let res = app.web_login_start(WEBSITE_APPID, "/me").await;
    assert_eq!(res.status().as_u16(), 302);
    let to = location(&res);
    let sim = &app.env.sim.url;
    let callback = format!("{PUBLIC_URL}/v1/web/{WEBSITE_APPID}/callback");
    let expected = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("appid", WEBSITE_APPID)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "snsapi_login")
        .finish();
    assert!(
        to.starts_with(&format!("{sim}/connect/qrconnect?{expected}&state=")),
        "{to}"
    );
    assert!(to.ends_with("#wechat_redirect"), "{to}");
    let (sealed, header) = set_cookie(&res, STATE_COOKIE).expect("state cookie");
    let state = to
        .split("state=")
        .nth(1)
        .and_then(|rest| rest.split('#').next())
        .expect("a state");
    assert!(state.len() == 32 && state.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        !sealed.contains(state) && !sealed.contains("/me"),
        "the cookie holds the state sealed: {sealed}"
    );
    for attr in [
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Max-Age=600",
    ] {
        assert!(header.contains(attr), "{attr} in {header}");
    }

    let consent = app.web_consent(WEBSITE_APPID, "wendy", true).await;
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/me");
    let (session, header) = set_cookie(&res, SESSION_COOKIE).expect("session cookie");
    assert!(session.starts_with("wxs_"), "{session}");
    for attr in ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(header.contains(attr), "{attr} in {header}");
    }
    let (_, cleared) = set_cookie(&res, STATE_COOKIE).expect("state cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The cookie works on introspection and forward auth, like a bearer token.
    let me: Value = app
        .with_cookie(Method::GET, "/v1/sessions/current", &session, None)
        .send()
        .await
        .expect("introspect")
        .json()
        .await
        .expect("json");
    assert_eq!(me["appid"], WEBSITE_APPID);
    assert_eq!(me["openid"], openid_for(WEBSITE_APPID, "wendy"));
    assert_eq!(me["unionid"], unionid_for("wendy").expect("unionid"));
    let auth = app
        .with_cookie(Method::GET, "/v1/auth", &session, None)
        .send()
        .await
        .expect("auth");
    assert_eq!(auth.status().as_u16(), 200);
    assert_eq!(
        auth.headers()
            .get("x-wx-unionid")
            .and_then(|v| v.to_str().ok()),
        unionid_for("wendy").as_deref()
    );
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(&format!(
            "wxsession_web_logins_total{{appid=\"{WEBSITE_APPID}\",result=\"ok\"}} 1"
        )),
        "{metrics}"
    );

    // The cookie logout: an allowed Origin, the session dies, the cookie is cleared.
    let out = app
        .with_cookie(
            Method::POST,
            "/v1/web/logout?return_to=https://app.test/bye",
            &session,
            Some(ALLOWED_ORIGIN),
        )
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(location(&out), "https://app.test/bye");
    let (_, cleared) = set_cookie(&out, SESSION_COOKIE).expect("cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let dead = app
        .with_cookie(Method::GET, "/v1/sessions/current", &session, None)
        .send()
        .await
        .expect("introspect");
    expect_error(dead, 401, "invalid_session").await;
}

#[tokio::test]
async fn an_official_account_login_and_a_declined_one() {
    let app = every_kind().await;
    let res = app.web_login_start(OFFICIAL_APPID, "/").await;
    let to = location(&res);
    assert!(
        to.contains("/connect/oauth2/authorize?appid=") && to.contains("scope=snsapi_userinfo"),
        "{to}"
    );
    let session = app.web_session(OFFICIAL_APPID, "olive").await;
    let me: Value = app
        .with_cookie(Method::GET, "/v1/sessions/current", &session, None)
        .send()
        .await
        .expect("introspect")
        .json()
        .await
        .expect("json");
    assert_eq!(me["openid"], openid_for(OFFICIAL_APPID, "olive"));
    assert_eq!(me["unionid"], unionid_for("olive").expect("unionid"));

    // Declined at WeChat: back to return_to with the error, no session, the state spent.
    let consent = app.web_consent(OFFICIAL_APPID, "olive", false).await;
    assert!(!consent.callback.contains("code="), "{}", consent.callback);
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/me?wx_error=access_denied");
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    let again = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    expect_error(again, 400, "invalid_state").await;
}

#[tokio::test]
async fn bad_missing_reused_and_foreign_states_are_refused() {
    let app = every_kind().await;
    let consent = app.web_consent(WEBSITE_APPID, "sam", true).await;
    // No cookie: a callback forged for another browser.
    let res = app.web_callback(&consent.callback, None).await;
    expect_error(res, 400, "invalid_state").await;
    // Another browser's state cookie.
    let other = app.web_consent(WEBSITE_APPID, "sam", true).await;
    let res = app
        .web_callback(&consent.callback, Some(&other.state_cookie))
        .await;
    expect_error(res, 400, "invalid_state").await;
    // No state, a malformed one, one never issued, an unsealed cookie naming the state.
    let base = app.url(&format!("/v1/web/{WEBSITE_APPID}/callback"));
    let forged = r#"{"v":1,"n":"abcdef0123456789abcdef0123456789","x":99999999999,"r":"/"}"#;
    for (query, cookie) in [
        ("code=user:sam:1", "abcdef0123456789abcdef0123456789"),
        ("code=user:sam:1&state=short", "short"),
        (
            "code=user:sam:1&state=abcdef0123456789abcdef0123456789",
            "abcdef0123456789abcdef0123456789",
        ),
        (
            "code=user:sam:1&state=abcdef0123456789abcdef0123456789",
            forged,
        ),
    ] {
        let res = app
            .web_callback(&format!("{base}?{query}"), Some(cookie))
            .await;
        expect_error(res, 400, "invalid_state").await;
    }
    // The right browser once; the same callback again is a reuse.
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let res = app
        .web_callback(&consent.callback, Some(&consent.state_cookie))
        .await;
    expect_error(res, 400, "invalid_state").await;
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(&format!(
            "wxsession_web_logins_total{{appid=\"{WEBSITE_APPID}\",result=\"invalid_state\"}} 7"
        )),
        "{metrics}"
    );
}

#[tokio::test]
async fn return_to_is_never_an_open_redirect() {
    let app = every_kind().await;
    for bad in [
        "//evil.example/x",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "https://app.test.evil.example/",
        "http://app.test/",
    ] {
        let res = app.web_login_start(WEBSITE_APPID, bad).await;
        expect_error(res, 400, "invalid_request").await;
        let res = app
            .http
            .post(app.url("/v1/web/logout"))
            .query(&[("return_to", bad)])
            .send()
            .await
            .expect("logout");
        expect_error(res, 400, "invalid_request").await;
    }
    for good in ["/", "/me?tab=1", "https://app.test/welcome"] {
        let res = app.web_login_start(WEBSITE_APPID, good).await;
        assert_eq!(res.status().as_u16(), 302, "{good}");
    }
}

#[tokio::test]
async fn cookie_state_changes_need_an_allowed_origin() {
    let app = every_kind().await;
    let session = app.web_session(WEBSITE_APPID, "cora").await;
    for origin in [Some("https://evil.example"), None, Some("null")] {
        for (method, path) in [
            (Method::POST, "/v1/web/logout"),
            (Method::DELETE, "/v1/sessions/current"),
        ] {
            let res = app.with_cookie(method, path, &session, origin).send().await;
            expect_error(res.expect("sent"), 403, "forbidden").await;
        }
    }
    // Still alive; reads need no Origin.
    let res = app
        .with_cookie(Method::GET, "/v1/sessions/current", &session, None)
        .send()
        .await
        .expect("read");
    assert_eq!(res.status().as_u16(), 200);
    // The service's own origin is allowed.
    let res = app
        .with_cookie(
            Method::DELETE,
            "/v1/sessions/current",
            &session,
            Some(PUBLIC_URL),
        )
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status().as_u16(), 204);
}

#[tokio::test]
async fn a_mobile_login_is_a_bearer_session_without_a_session_key() {
    let app = every_kind().await;
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({ "appid": MOBILE_APPID, "code": code_for("milo") }),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["openid"], openid_for(MOBILE_APPID, "milo"));
    assert_eq!(body["unionid"], unionid_for("milo").expect("unionid"));
    let token = body["session"].as_str().expect("token");
    assert_eq!(
        app.get("/v1/auth", Some(token)).await.status().as_u16(),
        200
    );
    assert_eq!(app.env.sim.stats().oauth_exchanges, 1);

    // No session_key: decrypt, phone and key status are not for these sessions (the data is
    // what the same person's mini-program would hold).
    login_mini(&app, "milo").await;
    let enc = app
        .sim_encrypt(APPID, "milo", json!({ "a": 1 }), "current")
        .await;
    for res in [
        app.post_json("/v1/sessions/current/decrypt", &enc, Some(token))
            .await,
        app.phone(token, &phone_code_for("milo")).await,
        app.get("/v1/sessions/current/key-status", Some(token))
            .await,
    ] {
        expect_error(res, 400, "unsupported_for_app").await;
    }
    // Nor user data at login; and a web app does not log in here at all.
    let mut with_data = enc.clone();
    with_data["code"] = json!(code_for("milo"));
    with_data["appid"] = json!(MOBILE_APPID);
    let res = app.post_json("/v1/sessions", &with_data, None).await;
    expect_error(res, 400, "unsupported_for_app").await;
    for appid in [WEBSITE_APPID, OFFICIAL_APPID] {
        let res = app
            .post_json(
                "/v1/sessions",
                &json!({ "appid": appid, "code": code_for("milo") }),
                None,
            )
            .await;
        expect_error(res, 400, "unsupported_for_app").await;
    }
    // The codes of refused requests were never sent to WeChat.
    assert_eq!(app.env.sim.stats().oauth_requests, 1);
}

#[tokio::test]
async fn web_routes_are_for_web_apps_only() {
    let app = every_kind().await;
    for appid in [APPID, MOBILE_APPID] {
        let res = app.web_login_start(appid, "/").await;
        expect_error(res, 400, "unsupported_for_app").await;
        let res = app
            .web_callback(
                &app.url(&format!("/v1/web/{appid}/callback?code=x&state=y")),
                Some("y"),
            )
            .await;
        expect_error(res, 400, "unsupported_for_app").await;
    }
    let res = app.web_login_start("wxnotconfigured01", "/").await;
    expect_error(res, 400, "unknown_app").await;
    // A web session cannot decrypt either.
    let session = app.web_session(WEBSITE_APPID, "vic").await;
    let res = app
        .with_cookie(
            Method::GET,
            "/v1/sessions/current/key-status",
            &session,
            None,
        )
        .send()
        .await
        .expect("key status");
    expect_error(res, 400, "unsupported_for_app").await;
}

#[tokio::test]
async fn one_person_in_four_apps_is_listed_and_logged_out_by_unionid() {
    let app = every_kind().await;
    let user = "una";
    let unionid = unionid_for(user).expect("unionid");
    let mini = login_mini(&app, user).await;
    assert_eq!(mini["unionid"], unionid);
    let mobile: Value = app
        .post_json(
            "/v1/sessions",
            &json!({ "appid": MOBILE_APPID, "code": code_for(user) }),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mobile["unionid"], unionid);
    let site = app.web_session(WEBSITE_APPID, user).await;
    let official = app.web_session(OFFICIAL_APPID, user).await;

    let res = admin(&app, Method::GET, &format!("/v1/admin/unions/{unionid}")).await;
    assert_eq!(res.status().as_u16(), 200);
    let person: Value = res.json().await.expect("json");
    assert_eq!(person["unionid"], unionid);
    assert_eq!(person["sessions"], 4);
    let mut accounts: Vec<(String, String, String)> = person["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| {
            assert!(a["last_login"].as_i64().is_some_and(|t| t > 1_700_000_000));
            (
                a["appid"].as_str().unwrap_or_default().to_owned(),
                a["kind"].as_str().unwrap_or_default().to_owned(),
                a["openid"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    accounts.sort();
    let mut expected: Vec<(String, String, String)> = [
        (APPID, "miniprogram"),
        (MOBILE_APPID, "mobile"),
        (OFFICIAL_APPID, "official_account"),
        (WEBSITE_APPID, "website"),
    ]
    .iter()
    .map(|(appid, kind)| ((*appid).into(), (*kind).into(), openid_for(appid, user)))
    .collect();
    expected.sort();
    assert_eq!(accounts, expected);
    // The index is one entry per person in one bucket hash, which has a TTL.
    let keys = app.keys_with_ttl().await;
    let (bucket, _) = wxsession::store::layout::union_location(&app.env.prefix, &unionid);
    let index: Vec<_> = keys.iter().filter(|(k, _)| k.contains(":ux:")).collect();
    assert_eq!(index.len(), 1, "{keys:?}");
    assert!(index.iter().all(|(k, ttl)| *k == bucket && *ttl > 0));

    // Log the person out of every app at once.
    let res = admin(
        &app,
        Method::DELETE,
        &format!("/v1/admin/unions/{unionid}/sessions"),
    )
    .await;
    let revoked: Value = res.json().await.expect("json");
    assert_eq!(revoked["revoked"], 4);
    for token in [&mini["session"], &mobile["session"]] {
        let res = app.get("/v1/auth", token.as_str()).await;
        assert_eq!(res.status().as_u16(), 401);
    }
    for cookie in [&site, &official] {
        let res = app
            .with_cookie(Method::GET, "/v1/auth", cookie, None)
            .send()
            .await
            .expect("auth");
        assert_eq!(res.status().as_u16(), 401);
    }
    let person: Value = admin(&app, Method::GET, &format!("/v1/admin/unions/{unionid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(person["sessions"], 0);
    assert_eq!(person["accounts"].as_array().map(Vec::len), Some(4));

    // Unknown, malformed, unauthenticated.
    let unknown: Value = admin(&app, Method::GET, "/v1/admin/unions/uNobodyAtAll")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unknown["accounts"], json!([]));
    let res = admin(&app, Method::GET, "/v1/admin/unions/bad%22id").await;
    expect_error(res, 400, "invalid_request").await;
    let res = app.get(&format!("/v1/admin/unions/{unionid}"), None).await;
    expect_error(res, 401, "invalid_session").await;
}
