//! `DELETE /v1/admin/apps/{appid}/users/{openid}/sessions`: log a user out everywhere.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::state::AppState;

fn check_id(value: &str, field: &str) -> Result<(), ApiError> {
    if crate::ids::is_valid_id(value) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(format!("{field} is malformed")))
    }
}

/// Revokes every session of `(appid, openid)`.
pub async fn revoke_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    super::require_admin(&state, &req)?;
    let (appid, openid) = path.into_inner();
    check_id(&appid, "appid")?;
    check_id(&openid, "openid")?;
    let revoked = state
        .store_op("revoke_user", state.store.revoke_user(&appid, &openid))
        .await?;
    state.metrics.sessions_revoked_total.inc_by(revoked);
    tracing::info!(%appid, revoked, "admin revoked a user's sessions");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}
