//! `cgi-bin/stable_token` and `cgi-bin/token`: the app's access_token.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::sns::errcode;
use crate::state::{Counter, State};

#[derive(Deserialize)]
pub(super) struct StableRequest {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

/// `POST /cgi-bin/stable_token`.
pub(super) async fn stable_token(
    state: web::Data<State>,
    body: web::Json<StableRequest>,
) -> HttpResponse {
    state.count(Counter::TokenFetch);
    let req = body.into_inner();
    if let Some(code) = state.check_app(req.appid.as_deref(), req.secret.as_deref()) {
        return errcode(code, "invalid credential");
    }
    if req.grant_type.as_deref() != Some("client_credential") {
        return errcode(40002, "invalid grant_type");
    }
    if req.force_refresh {
        state.count(Counter::ForcedRefresh);
    }
    let appid = req.appid.unwrap_or_default();
    let (token, expires_in) =
        state.tokens(|t| t.stable(&appid, req.force_refresh, state.token_ttl));
    HttpResponse::Ok().json(json!({ "access_token": token, "expires_in": expires_in }))
}

#[derive(Deserialize)]
pub(super) struct ClassicQuery {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
}

/// `GET /cgi-bin/token`.
pub(super) async fn token(
    state: web::Data<State>,
    query: web::Query<ClassicQuery>,
) -> HttpResponse {
    state.count(Counter::TokenFetch);
    let q = query.into_inner();
    if let Some(code) = state.check_app(q.appid.as_deref(), q.secret.as_deref()) {
        return errcode(code, "invalid credential");
    }
    if q.grant_type.as_deref() != Some("client_credential") {
        return errcode(40002, "invalid grant_type");
    }
    let appid = q.appid.unwrap_or_default();
    let (token, expires_in) = state.tokens(|t| t.classic(&appid, state.token_ttl));
    HttpResponse::Ok().json(json!({ "access_token": token, "expires_in": expires_in }))
}
