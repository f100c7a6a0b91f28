//! `GET` and `DELETE /v1/sessions/current`: introspect and log out.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize)]
struct Introspection {
    appid: String,
    openid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<String>,
    created_at: i64,
    expires_in: u64,
}

/// The session's identity; slides its idle expiry.
pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let touched = super::authenticate(&state, &req).await?;
    let r = touched.record;
    Ok(HttpResponse::Ok().json(Introspection {
        appid: r.appid,
        openid: r.openid,
        unionid: r.unionid,
        created_at: r.created_at,
        expires_in: touched.ttl_secs,
    }))
}

/// Deletes the session: dead on every replica at once, since no replica caches it.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = super::bearer(&req).ok_or(ApiError::InvalidSession)?;
    let existed = state
        .store_op("delete_session", state.store.delete_session(&token.id()))
        .await?;
    if !existed {
        return Err(ApiError::InvalidSession);
    }
    state.metrics.sessions_revoked_total.inc();
    Ok(HttpResponse::NoContent().finish())
}
