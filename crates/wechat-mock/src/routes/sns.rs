//! `sns/*`: `jscode2session` and a platform's `sns/component/jscode2session`, with the code
//! language of `codes.rs`.

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use crate::codes::Plan;
use crate::component::MerchantKind;
use crate::state::{State, openid_for, unionid_for};

#[derive(Deserialize)]
pub(super) struct Code2SessionQuery {
    appid: Option<String>,
    secret: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
}

pub(super) fn errcode(code: i64, msg: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errcode": code, "errmsg": msg }))
}

pub(super) async fn jscode2session(
    state: web::Data<State>,
    query: web::Query<Code2SessionQuery>,
) -> HttpResponse {
    state.count_request();
    if !state.base_latency.is_zero() {
        tokio::time::sleep(state.base_latency).await;
    }
    let q = query.into_inner();
    let Some(appid) = q.appid.filter(|a| state.secrets.contains_key(a)) else {
        return errcode(40013, "invalid appid");
    };
    if q.secret.as_deref() != state.secrets.get(&appid).map(String::as_str) {
        return errcode(40125, "invalid appsecret");
    }
    if q.grant_type.as_deref() != Some("authorization_code") {
        return errcode(40002, "invalid grant_type");
    }
    let Some(code) = q.js_code.filter(|c| !c.is_empty()) else {
        return errcode(41008, "missing code");
    };
    match super::follow(&state, &code).await {
        Ok(Plan::User(user)) => login(&state, &appid, &code, &user),
        Ok(Plan::BadIdentity(openid)) => HttpResponse::Ok().json(Session {
            openid: openid.to_owned(),
            session_key: STANDARD.encode([7u8; 16]),
            unionid: None,
        }),
        Ok(_) => errcode(40029, "invalid code"),
        Err(answer) => answer,
    }
}

/// A successful `jscode2session` body; like WeChat's, it has no `unionid` when there is none.
#[derive(serde::Serialize)]
struct Session {
    openid: String,
    session_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<String>,
}

pub(super) fn login(state: &State, appid: &str, code: &str, user: &str) -> HttpResponse {
    if !state.use_code(code) {
        return errcode(40163, "code been used");
    }
    let openid = openid_for(appid, user);
    let key = state.rotate_key(appid, &openid, code);
    HttpResponse::Ok().json(Session {
        session_key: STANDARD.encode(key),
        unionid: unionid_for(user),
        openid,
    })
}

/// An HTTP error page with `status`, as a proxy in front of WeChat would answer.
pub(super) fn http_failure(status: u16) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    HttpResponse::build(status)
        .content_type("text/html")
        .body("<html><body>simulated upstream failure</body></html>")
}

/// HTTP 200 with a body that is not the expected JSON.
pub(super) fn garbage(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    appid: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
    component_appid: Option<String>,
    component_access_token: Option<String>,
}

/// `GET /sns/component/jscode2session`: a merchant's mini-program user logs in through the
/// platform; the code language and the user's keys are those of `sns/jscode2session`.
pub(super) async fn component_jscode2session(
    state: web::Data<State>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    let checked = (|| {
        let p = super::component::platform(&state, q.component_appid.as_deref())?;
        p.lock().stats.logins += 1;
        p.check_token(q.component_access_token.as_deref())?;
        if q.grant_type.as_deref() != Some("authorization_code") {
            return Err(40002);
        }
        let appid = q.appid.clone().unwrap_or_default();
        let mini = p
            .merchant(&appid)
            .is_some_and(|m| m.kind == MerchantKind::MiniProgram);
        if !mini || p.grant(&appid).is_none() {
            return Err(61003);
        }
        Ok(appid)
    })();
    let appid = match checked {
        Ok(appid) => appid,
        Err(40002) => return errcode(40002, "invalid grant_type"),
        Err(code) => return super::component::refuse(code),
    };
    let Some(code) = q.js_code.filter(|c| !c.is_empty()) else {
        return errcode(41008, "missing code");
    };
    match super::follow(&state, &code).await {
        Ok(Plan::User(user)) => login(&state, &appid, &code, &user),
        Ok(_) => errcode(40029, "invalid code"),
        Err(answer) => answer,
    }
}
