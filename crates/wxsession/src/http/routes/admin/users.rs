//! `DELETE /v1/admin/apps/{appid}/users/{openid}/sessions`: log a user out everywhere.

use actix_web::{HttpResponse, web};

use crate::domain::audit::{self, Audit};
use crate::domain::session;
use crate::http::error::{ApiError, Code};
use crate::http::extract::{Admin, ClientIp};
use crate::metrics::labels::{AdminAction, AdminOutcome};
use crate::state::AppState;

/// Revokes every session of `(appid, openid)`; audited whatever the outcome.
pub async fn revoke_all(
    state: web::Data<AppState>,
    admin: Result<Admin, ApiError>,
    client: ClientIp,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (appid, openid) = path.into_inner();
    let mut audit = Audit {
        action: AdminAction::RevokeUserSessions,
        credential: None,
        appid: &appid,
        openid: &openid,
        client: client.0,
    };
    let admin = match admin {
        Ok(admin) => admin,
        Err(err) => {
            // A disabled admin API is not an attempt worth a line.
            if err.code() != Code::NotFound {
                audit.record(&state.metrics, AdminOutcome::Denied);
            }
            return Err(err);
        }
    };
    audit.credential = Some(&admin.id);
    let result = session::revoke_user(&state, &appid, &openid).await;
    audit.record(&state.metrics, audit::outcome_of(&result));
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": result? })))
}
