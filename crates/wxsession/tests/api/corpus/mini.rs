//! A mini-program's calls: `jscode2session` (`POST /v1/sessions`), `getuserphonenumber`
//! (`POST /v1/sessions/current/phone`), `checksession` (`GET …/key-status`) and
//! `resetusersessionkey` (the admin reset).

use serde_json::{Value, json};
use wxsession::settings::Settings;

use super::{Case, Outcome, replay};
use crate::helpers::{ADMIN_TOKEN, APPID, Answer, SECRET, StandIn, TestApp, app, spawn_app_with};

/// What the stand-in answers for the logins these tests need (WeChat's docs' own example key).
const LOGIN: &str =
    r#"{"session_key":"tiihtNczf5v6AKRyjwEUhQ==","openid":"oGZUI0egBJY1zhBYw2KhdUfwVJJE"}"#;
const OPENID: &str = "oGZUI0egBJY1zhBYw2KhdUfwVJJE";
/// The access_token answer of the docs.
const TOKEN: &str = r#"{"access_token":"ACCESS_TOKEN","expires_in":7200}"#;

/// The service with WeChat at `stand_in` (one retry, as in production but quicker).
pub async fn spawn(stand_in: &StandIn, f: impl FnOnce(&mut Settings)) -> TestApp {
    let url = stand_in.url.clone();
    spawn_app_with(move |s| {
        s.wechat.api_base = url;
        s.wechat.retries = 1;
        f(s);
    })
    .await
}

fn fresh_code() -> String {
    format!("corpus{}", uuid::Uuid::new_v4().simple())
}

/// A session of `appid` from the stand-in's login answer.
async fn session(app: &TestApp, appid: &str) -> String {
    let body = json!({ "appid": appid, "code": fresh_code() });
    let res = app.post_json("/v1/sessions", &body, None).await;
    assert_eq!(res.status().as_u16(), 201, "login to {appid}");
    let body: Value = res.json().await.expect("login body");
    body["session"].as_str().expect("a session").to_owned()
}

/// A stand-in ready for logins and access_token fetches.
fn logged_in_stand_in() -> StandIn {
    let stand_in = StandIn::start();
    stand_in.set(
        "/sns/jscode2session",
        Answer {
            content_type: "text/plain".into(),
            body: LOGIN.as_bytes().to_vec(),
        },
    );
    stand_in.set("/cgi-bin/stable_token", Answer::json(TOKEN));
    stand_in
}

#[tokio::test]
async fn jscode2session_answers_get_their_documented_outcome() {
    let stand_in = StandIn::start();
    let app = spawn(&stand_in, |_| {}).await;
    replay(&stand_in, "jscode2session", "/sns/jscode2session", |case| {
        let app = &app;
        async move {
            let body = json!({ "code": fresh_code() });
            let got = Outcome::of(app.post_json("/v1/sessions", &body, None).await).await;
            (case, got)
        }
    })
    .await;
}

#[tokio::test]
async fn getuserphonenumber_answers_get_their_documented_outcome() {
    let stand_in = logged_in_stand_in();
    // Each answer is watermarked for an app: the service is configured with that app too.
    let mut appids: Vec<String> = super::cases("getuserphonenumber")
        .iter()
        .filter_map(|c: &Case| c.get("appid").map(str::to_owned))
        .collect();
    appids.sort();
    appids.dedup();
    let app = spawn(&stand_in, |s| {
        s.apps.extend(appids.iter().map(|a| app(a, SECRET)));
    })
    .await;
    let path = "/wxa/business/getuserphonenumber";
    replay(&stand_in, "getuserphonenumber", path, |case| {
        let app = &app;
        async move {
            let token = session(app, case.get("appid").unwrap_or(APPID)).await;
            let got = Outcome::of(app.phone(&token, &fresh_code()).await).await;
            (case, got)
        }
    })
    .await;
}

#[tokio::test]
async fn checksession_answers_get_their_documented_outcome() {
    let stand_in = logged_in_stand_in();
    let app = spawn(&stand_in, |_| {}).await;
    let token = session(&app, APPID).await;
    replay(&stand_in, "checksession", "/wxa/checksession", |case| {
        let (app, token) = (&app, &token);
        async move {
            let res = app
                .get("/v1/sessions/current/key-status", Some(token))
                .await;
            (case, Outcome::of(res).await)
        }
    })
    .await;
}

#[tokio::test]
async fn resetusersessionkey_answers_get_their_documented_outcome() {
    let stand_in = logged_in_stand_in();
    let app = spawn(&stand_in, |_| {}).await;
    session(&app, APPID).await;
    let path = format!("/v1/admin/apps/{APPID}/users/{OPENID}/session-key/reset");
    replay(
        &stand_in,
        "resetusersessionkey",
        "/wxa/resetusersessionkey",
        |case| {
            let (app, path) = (&app, &path);
            async move {
                let res = app.post_json(path, &json!({}), Some(ADMIN_TOKEN)).await;
                (case, Outcome::of(res).await)
            }
        },
    )
    .await;
}
