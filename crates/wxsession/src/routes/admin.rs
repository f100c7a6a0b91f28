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
    let (appid, openid) = path.into_inner();
    let mut audit = Audit {
        action: "revoke_user_sessions",
        credential: None,
        appid: &appid,
        openid: &openid,
        client: super::client_ip(&state, &req),
    };
    let result = revoke(&state, &req, &mut audit).await;
    audit.record(&state, &result);
    let revoked = result?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}

async fn revoke(
    state: &AppState,
    req: &HttpRequest,
    audit: &mut Audit<'_>,
) -> Result<u64, ApiError> {
    audit.credential = Some(super::require_admin(state, req)?.id);
    check_id(audit.appid, "appid")?;
    check_id(audit.openid, "openid")?;
    let revoked = state
        .store_op(
            "revoke_user",
            state.store.revoke_user(audit.appid, audit.openid),
        )
        .await?;
    state.metrics.sessions_revoked_total.inc_by(revoked);
    Ok(revoked)
}

/// One admin action, for the audit log: one structured line (`kind = "audit"`) and one count
/// per action, whatever its outcome.
#[derive(Debug)]
struct Audit<'a> {
    action: &'static str,
    credential: Option<String>,
    appid: &'a str,
    openid: &'a str,
    client: Option<std::net::IpAddr>,
}

impl Audit<'_> {
    fn record<T>(&self, state: &AppState, result: &Result<T, ApiError>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(ApiError::NotFound) => return,
            Err(ApiError::InvalidSession | ApiError::Forbidden) => "denied",
            Err(ApiError::InvalidRequest(_)) => "invalid",
            Err(_) => "failed",
        };
        state
            .metrics
            .admin_actions_total
            .with_label_values(&[self.action, outcome])
            .inc();
        // Ids that failed validation are not logged: they could be anything.
        let valid = |id: &str| crate::ids::is_valid_id(id).then(|| id.to_owned());
        tracing::info!(
            kind = "audit",
            action = self.action,
            outcome,
            appid = valid(self.appid),
            openid = valid(self.openid),
            credential = self.credential.as_deref(),
            client = self.client.map(|ip| ip.to_string()),
            "admin action"
        );
    }
}
