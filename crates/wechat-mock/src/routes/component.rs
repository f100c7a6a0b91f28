//! `cgi-bin/component/*` and `sns/component/jscode2session`: the third-party platform's API,
//! with WeChat's errcodes — `40013`/`40125` wrong platform or secret, `61005`/`61006` expired or
//! unknown ticket, `40001` invalid component token, `61009`/`61010` invalid or expired
//! authorization code, `61023` dead refresh token, `61003` a merchant that has not authorized
//! the platform. Component tokens ride as `access_token` (or the older `component_access_token`).
//! A merchant's logins (`sns/component/jscode2session`) live with the other `sns/*` routes.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::sns::errcode;
use crate::component::{Errcode, MerchantKind, Platform, unix_now};
use crate::state::State;

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    access_token: Option<String>,
    component_access_token: Option<String>,
}

impl TokenQuery {
    fn token(&self) -> Option<&str> {
        self.access_token
            .as_deref()
            .or(self.component_access_token.as_deref())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Body {
    component_appid: Option<String>,
    component_secret: Option<String>,
    component_appsecret: Option<String>,
    component_verify_ticket: Option<String>,
    authorization_code: Option<String>,
    authorizer_appid: Option<String>,
    authorizer_refresh_token: Option<String>,
    offset: Option<u64>,
    count: Option<u64>,
}

pub(super) fn refuse(code: Errcode) -> HttpResponse {
    let msg = match code {
        40001 => "invalid credential, access_token is invalid or not latest",
        40013 => "invalid appid",
        40125 => "invalid appsecret",
        61003 => "component is not authorized by this account",
        61005 => "component ticket is expired",
        61006 => "component ticket is invalid",
        61009 => "code is invalid",
        61010 => "code is expired",
        61011 => "invalid component",
        61023 => "refresh_token is invalid",
        _ => "invalid args",
    };
    errcode(code, msg)
}

/// The platform, when `component_appid` names it (`40013` otherwise).
pub(super) fn platform<'a>(state: &'a State, appid: Option<&str>) -> Result<&'a Platform, Errcode> {
    let platform = state.component.as_ref().ok_or(61011)?;
    if appid != Some(platform.config.appid.as_str()) {
        return Err(40013);
    }
    Ok(platform)
}

/// The platform behind a valid component token.
fn authed<'a>(state: &'a State, q: &TokenQuery, b: &Body) -> Result<&'a Platform, Errcode> {
    let platform = platform(state, b.component_appid.as_deref())?;
    platform.check_token(q.token())?;
    Ok(platform)
}

fn answer(result: Result<serde_json::Value, Errcode>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(code) => refuse(code),
    }
}

/// `POST /cgi-bin/component/api_start_push_ticket`: a ticket is pushed now.
pub(super) async fn start_push_ticket(
    state: web::Data<State>,
    body: web::Json<Body>,
) -> HttpResponse {
    let b = body.into_inner();
    let checked = platform(&state, b.component_appid.as_deref()).and_then(|p| {
        (b.component_secret.as_deref() == Some(p.config.secret.as_str()))
            .then_some(())
            .ok_or(40125)
    });
    if let Err(code) = checked {
        return refuse(code);
    }
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let _ = crate::push::push_ticket(&state).await;
    });
    errcode(0, "ok")
}

/// `POST /cgi-bin/component/api_component_token`.
pub(super) async fn component_token(
    state: web::Data<State>,
    body: web::Json<Body>,
) -> HttpResponse {
    let b = body.into_inner();
    if let Some(p) = state.component.as_ref() {
        p.count_token_fetch();
    }
    answer((|| {
        let p = platform(&state, b.component_appid.as_deref())?;
        if b.component_appsecret.as_deref() != Some(p.config.secret.as_str()) {
            return Err(40125);
        }
        p.check_ticket(b.component_verify_ticket.as_deref().unwrap_or(""))?;
        let (token, expires_in) = p.mint_token();
        Ok(json!({ "component_access_token": token, "expires_in": expires_in }))
    })())
}

/// `POST /cgi-bin/component/api_create_preauthcode`.
pub(super) async fn create_preauthcode(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
    body: web::Json<Body>,
) -> HttpResponse {
    answer(authed(&state, &query, &body).map(|p| {
        let (code, expires_in) = p.issue_pre_auth_code();
        json!({ "pre_auth_code": code, "expires_in": expires_in })
    }))
}

fn func_info(ids: &[u32]) -> Vec<serde_json::Value> {
    ids.iter()
        .map(|id| json!({ "funcscope_category": { "id": id } }))
        .collect()
}

/// `POST /cgi-bin/component/api_query_auth`: the merchant's tokens for an authorization code.
pub(super) async fn query_auth(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
    body: web::Json<Body>,
) -> HttpResponse {
    answer((|| {
        let p = authed(&state, &query, &body)?;
        let (appid, grant) = p.redeem(body.authorization_code.as_deref().unwrap_or(""))?;
        let (token, expires_in) = state.tokens(|t| t.classic(&appid, p.token_ttl));
        p.minted_for_merchant(&token);
        Ok(json!({ "authorization_info": {
            "authorizer_appid": appid,
            "authorizer_access_token": token,
            "expires_in": expires_in,
            "authorizer_refresh_token": grant.refresh_token,
            "func_info": func_info(&grant.func_info),
        }}))
    })())
}

/// `POST /cgi-bin/component/api_authorizer_token`: a new token for the merchant; earlier ones
/// stay valid for five minutes (until the merchant authorizes again or revokes).
pub(super) async fn authorizer_token(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
    body: web::Json<Body>,
) -> HttpResponse {
    let checked = authed(&state, &query, &body).and_then(|p| {
        let appid = body.authorizer_appid.as_deref().unwrap_or("");
        p.refresh(
            appid,
            body.authorizer_refresh_token.as_deref().unwrap_or(""),
        )?;
        Ok(p)
    });
    // Checked (and counted) first, answered after the configured delay.
    if let Some(p) = state.component.as_ref() {
        let delay = p.lock().refresh_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    answer((|| {
        let p = checked?;
        let appid = body.authorizer_appid.as_deref().unwrap_or("");
        let (token, expires_in) = state.tokens(|t| t.classic(appid, p.token_ttl));
        p.minted_for_merchant(&token);
        let refresh = p.grant(appid).map(|g| g.refresh_token);
        Ok(json!({
            "authorizer_access_token": token,
            "expires_in": expires_in,
            "authorizer_refresh_token": refresh,
        }))
    })())
}

/// `POST /cgi-bin/component/api_get_authorizer_info`.
pub(super) async fn authorizer_info(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
    body: web::Json<Body>,
) -> HttpResponse {
    answer((|| {
        let p = authed(&state, &query, &body)?;
        let appid = body.authorizer_appid.as_deref().unwrap_or("");
        let merchant = p.merchant(appid).ok_or(61003)?;
        let grant = p.grant(appid).ok_or(61003)?;
        let mut info = json!({
            "nick_name": merchant.nickname,
            "head_img": "",
            "service_type_info": { "id": if merchant.kind == MerchantKind::MiniProgram { 0 } else { 2 } },
            "verify_type_info": { "id": 0 },
            "user_name": format!("gh_{}", appid.trim_start_matches("wx")),
            "principal_name": "Simulated merchant",
        });
        if merchant.kind == MerchantKind::MiniProgram
            && let Some(object) = info.as_object_mut()
        {
            object.insert(
                "MiniProgramInfo".to_owned(),
                json!({ "network": {}, "categories": [], "visit_status": 0 }),
            );
        }
        Ok(json!({
            "authorizer_info": info,
            "authorization_info": {
                "authorizer_appid": appid,
                "authorizer_refresh_token": grant.refresh_token,
                "func_info": func_info(&grant.func_info),
            },
        }))
    })())
}

/// `POST /cgi-bin/component/api_get_authorizer_list`: `count` 1 to 500.
pub(super) async fn authorizer_list(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
    body: web::Json<Body>,
) -> HttpResponse {
    answer((|| {
        let p = authed(&state, &query, &body)?;
        let count = body.count.filter(|c| (1..=500).contains(c)).ok_or(40097)?;
        let offset = usize::try_from(body.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let all = p.authorized();
        let list: Vec<_> = all
            .iter()
            .skip(offset)
            .take(usize::try_from(count).unwrap_or(500))
            .map(|(appid, g)| {
                json!({
                    "authorizer_appid": appid,
                    "refresh_token": g.refresh_token,
                    "auth_time": g.auth_time,
                })
            })
            .collect();
        Ok(json!({ "total_count": all.len(), "list": list }))
    })())
}

/// Seconds since the epoch at which an authorization code made now expires.
pub(super) fn code_expiry() -> i64 {
    unix_now() + i64::try_from(crate::component::AUTH_CODE_TTL.as_secs()).unwrap_or(600)
}
