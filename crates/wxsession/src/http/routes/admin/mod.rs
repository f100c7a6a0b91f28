//! The admin API: on the API listener, or on `server.admin_bind` alone. Every action is
//! audited, whatever its outcome.

mod access_token;
mod unions;
mod users;

use std::future::Future;

use actix_web::web;

use crate::domain::Error;
use crate::domain::audit::{self, Audit};
use crate::http::error::{ApiError, Code};
use crate::metrics::labels::AdminOutcome;
use crate::state::AppState;

/// Registers the admin routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default().error_handler(|_, _| ApiError::from(Code::NotFound).into()),
    )
    .service(
        web::resource("/v1/admin/apps/{appid}/users/{openid}/sessions").delete(users::revoke_all),
    )
    .service(
        web::resource("/v1/admin/apps/{appid}/users/{openid}/session-key/reset")
            .post(users::reset_session_key),
    )
    .service(web::resource("/v1/admin/apps/{appid}/access-token").get(access_token::read))
    .service(
        web::resource("/v1/admin/apps/{appid}/access-token/invalidate")
            .post(access_token::invalidate),
    )
    .service(web::resource("/v1/admin/unions/{unionid}").get(unions::read))
    .service(web::resource("/v1/admin/unions/{unionid}/sessions").delete(unions::revoke_all));
}

/// Runs an admin action once its credential (`Ok(id)`) is accepted, and audits it either way.
async fn audited<T, Fut>(
    state: &AppState,
    mut audit: Audit<'_>,
    credential: Result<String, ApiError>,
    action: impl FnOnce() -> Fut,
) -> Result<T, ApiError>
where
    Fut: Future<Output = Result<T, Error>>,
{
    let id = match credential {
        Ok(id) => id,
        Err(err) => {
            // A disabled admin API is not an attempt worth a line.
            if err.code() != Code::NotFound {
                audit.record(&state.metrics, AdminOutcome::Denied);
            }
            return Err(err);
        }
    };
    audit.credential = Some(&id);
    let result = action().await;
    audit.record(&state.metrics, audit::outcome_of(&result));
    Ok(result?)
}
