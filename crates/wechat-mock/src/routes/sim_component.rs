//! `__sim/component/*`: what tests and people need from the simulated platform side — push a
//! ticket now, pause and resume the periodic pushes, authorize or revoke a merchant without a
//! browser, expire the component tokens, slow the merchants' token refreshes down, and read
//! the push log and the counters.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::component::AUTH_CODE_TTL;
use crate::push::{Event, push, push_ticket};
use crate::state::State;

fn no_platform() -> HttpResponse {
    HttpResponse::NotFound().json(json!({"error": "no platform configured"}))
}

/// `POST /__sim/component/push-ticket` → `{"ticket", "push"}` (`push` null without a URL).
pub(super) async fn push_now(state: web::Data<State>) -> HttpResponse {
    match push_ticket(&state).await {
        Some((ticket, record)) => {
            HttpResponse::Ok().json(json!({"ticket": ticket, "push": record}))
        }
        None => no_platform(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PauseRequest {
    paused: bool,
}

/// `POST /__sim/component/pushes {"paused"}`: stop or resume the periodic ticket pushes.
pub(super) async fn pause(state: web::Data<State>, body: web::Json<PauseRequest>) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    p.lock().paused = body.paused;
    HttpResponse::NoContent().finish()
}

/// `GET /__sim/component/pushes` → `{"paused", "log": [{"info_type", "status", "delivered"}]}`.
pub(super) async fn pushes(state: web::Data<State>) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    let inner = p.lock();
    HttpResponse::Ok().json(json!({"paused": inner.paused, "log": inner.log}))
}

/// `GET /__sim/component/stats`.
pub(super) async fn stats(state: web::Data<State>) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    HttpResponse::Ok().json(&p.lock().stats)
}

/// `POST /__sim/component/expire-token`: every component token dies (`40001` from now on).
pub(super) async fn expire_token(state: web::Data<State>) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    p.expire_tokens();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MerchantRequest {
    appid: String,
    func_info: Option<Vec<u32>>,
}

/// `POST /__sim/component/authorize {"appid", "func_info"?}`: what Allow on the authorization
/// page does (a new refresh token, the old one and the merchant's tokens dead), with the push
/// made before answering → `{"auth_code", "expires_in", "info_type", "push"}`.
pub(super) async fn authorize(
    state: web::Data<State>,
    body: web::Json<MerchantRequest>,
) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    let Some(merchant) = p.merchant(&body.appid).cloned() else {
        return HttpResponse::NotFound().json(json!({"error": "no such merchant"}));
    };
    let (code, event) =
        super::loginpage::authorize(&state, &merchant, body.func_info.clone(), None);
    let info_type = event.info_type();
    let record = push(&state, event).await;
    HttpResponse::Ok().json(json!({
        "auth_code": code,
        "expires_in": AUTH_CODE_TTL.as_secs(),
        "info_type": info_type,
        "push": record,
    }))
}

/// `POST /__sim/component/unauthorize {"appid"}`: the merchant revokes the platform: its
/// refresh token answers `61023`, its tokens `40001`, its logins `61003`; `unauthorized` is
/// pushed before answering → `{"push"}`.
pub(super) async fn unauthorize(
    state: web::Data<State>,
    body: web::Json<MerchantRequest>,
) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    if !p.unauthorize(&body.appid) {
        return HttpResponse::NotFound().json(json!({"error": "the merchant has not authorized"}));
    }
    state.tokens(|t| t.invalidate(&body.appid, false, p.token_ttl));
    let record = push(&state, Event::Unauthorized(body.appid.clone())).await;
    HttpResponse::Ok().json(json!({ "push": record }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SlowRequest {
    ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateRequest {
    on: bool,
}

/// `POST /__sim/component/rotate-refresh {"on"}`: while on, every `api_authorizer_token`
/// answers with a new refresh token and the one it was given dies.
pub(super) async fn rotate_refresh(
    state: web::Data<State>,
    body: web::Json<RotateRequest>,
) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    p.lock().rotate_refresh = body.on;
    HttpResponse::NoContent().finish()
}

/// `POST /__sim/component/slow-refresh {"ms"}`: `api_authorizer_token` answers `ms` after it
/// checked (and counted) the refresh token, so a test can act while a refresh is in flight.
pub(super) async fn slow_refresh(
    state: web::Data<State>,
    body: web::Json<SlowRequest>,
) -> HttpResponse {
    let Some(p) = state.component.as_ref() else {
        return no_platform();
    };
    p.lock().refresh_delay = std::time::Duration::from_millis(body.ms);
    HttpResponse::NoContent().finish()
}
