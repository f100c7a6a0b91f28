//! A browser login of an official account (`snsapi_userinfo`): `sns/oauth2/access_token` and
//! `sns/userinfo`, driven through `GET /v1/web/{appid}/login` and the callback. A session's
//! `json` expectations are checked on `GET /v1/sessions/current` with its cookie.

use reqwest::Method;
use wxsession::settings::AppKind;

use super::mini::spawn;
use super::{Case, Outcome, replay};
use crate::helpers::{
    ALLOWED_ORIGIN, Answer, OFFICIAL_APPID, PUBLIC_URL, SESSION_COOKIE, STATE_COOKIE, StandIn,
    TestApp, app, location, set_cookie,
};

/// `sns/userinfo` refusing a snapshot user's token (a recorded answer): the login goes on
/// without a unionid.
const USERINFO_REFUSED: &str =
    r#"{"errcode":48001,"errmsg":"api unauthorized, rid: 62fb9bc8-078c24da-4202f278"}"#;

async fn spawn_web(stand_in: &StandIn) -> TestApp {
    let url = stand_in.url.clone();
    spawn(stand_in, move |s| {
        s.apps.push(wxsession::settings::AppSettings {
            kind: AppKind::OfficialAccount,
            ..app(OFFICIAL_APPID, "secret-of-the-official-account")
        });
        s.wechat.open_base = url;
        s.server.public_url = Some(PUBLIC_URL.into());
        s.web.allowed_origins = vec![ALLOWED_ORIGIN.into()];
        s.web.state_key_files = vec![crate::helpers::state_key_file()];
    })
    .await
}

/// A whole browser login with a fresh code: its outcome, with the session's introspection as
/// the body when a session cookie was set.
async fn web_login(app: &TestApp) -> Outcome {
    let start = app.web_login_start(OFFICIAL_APPID, "/me").await;
    assert_eq!(start.status().as_u16(), 302, "login start");
    let (cookie, _) = set_cookie(&start, STATE_COOKIE).expect("a state cookie");
    let page = url::Url::parse(&location(&start)).expect("WeChat's page");
    let state = page
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    let code = format!("corpus{}", uuid::Uuid::new_v4().simple());
    let callback = app.url(&format!(
        "/v1/web/{OFFICIAL_APPID}/callback?code={code}&state={state}"
    ));
    let res = app.web_callback(&callback, Some(&cookie)).await;
    let session = set_cookie(&res, SESSION_COOKIE).filter(|(v, _)| !v.is_empty());
    let mut outcome = Outcome::of(res).await;
    if let Some((session, _)) = session {
        let me = app
            .with_cookie(Method::GET, "/v1/sessions/current", &session, None)
            .send()
            .await
            .expect("introspection");
        outcome.body = me.json().await.expect("the session's JSON");
    }
    outcome
}

#[tokio::test]
async fn oauth2_access_token_answers_get_their_documented_outcome() {
    let stand_in = StandIn::start();
    stand_in.set("/sns/userinfo", Answer::json(USERINFO_REFUSED));
    let app = spawn_web(&stand_in).await;
    let path = "/sns/oauth2/access_token";
    replay(&stand_in, "oauth2_access_token", path, |case| {
        let app = &app;
        async move { (case, web_login(app).await) }
    })
    .await;
}

#[tokio::test]
async fn userinfo_answers_get_their_documented_outcome() {
    let stand_in = StandIn::start();
    let app = spawn_web(&stand_in).await;
    replay(&stand_in, "userinfo", "/sns/userinfo", |case: Case| {
        // The exchange grants `snsapi_userinfo` without a unionid, for the profile's openid.
        let openid = case.openid().unwrap_or_else(|| "OPENID".into());
        let token = format!(
            r#"{{"access_token":"ACCESS_TOKEN","expires_in":7200,"refresh_token":"REFRESH_TOKEN","openid":"{openid}","scope":"snsapi_userinfo"}}"#
        );
        stand_in.set("/sns/oauth2/access_token", Answer::json(&token));
        let app = &app;
        async move { (case, web_login(app).await) }
    })
    .await;
}
