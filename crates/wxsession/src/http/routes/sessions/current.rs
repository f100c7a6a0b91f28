//! `GET` and `DELETE /v1/sessions/current`: introspect and log out.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::domain::session;
use crate::http::error::ApiError;
use crate::http::extract::{Bearer, CurrentSession};
use crate::state::AppState;

#[derive(Serialize)]
struct Introspection {
    appid: AppId,
    openid: OpenId,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<UnionId>,
    created_at: i64,
    expires_in: u64,
}

/// The session's identity; slides its idle expiry.
pub async fn introspect(current: CurrentSession) -> HttpResponse {
    let touched = current.0.touched;
    let r = touched.record;
    HttpResponse::Ok().json(Introspection {
        appid: r.appid,
        openid: r.openid,
        unionid: r.unionid,
        created_at: r.created_at,
        expires_in: touched.ttl_secs,
    })
}

/// Deletes the session: dead on every replica at once.
pub async fn logout(state: web::Data<AppState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    session::logout(&state, bearer.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
