//! The admin API: on the API listener, or on `server.admin_bind` alone. Every action is
//! audited, whatever its outcome; every refused attempt too.

mod access_token;
mod apps;
mod component;
mod unions;
mod users;

use std::future::Future;

use actix_web::http::Method;
use actix_web::web;

use crate::domain::Error;
use crate::domain::audit::{self, Audit};
use crate::http::caller::ByMethod;
use crate::http::error::{ApiError, Code};
use crate::metrics::labels::AdminAction;
use crate::state::AppState;

/// Registers the admin routes, each with its `AdminAction` (the audit line of a refused
/// credential names it).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str, action: AdminAction| web::resource(path).app_data(action);
    cfg.app_data(
        web::PathConfig::default().error_handler(|_, _| ApiError::from(Code::NotFound).into()),
    )
    .service(resource("/v1/admin/apps", AdminAction::ListApps).get(apps::list))
    .service(
        web::resource("/v1/admin/apps/{appid}")
            .app_data(ByMethod(vec![
                (Method::GET, AdminAction::ReadApp),
                (Method::PUT, AdminAction::PutApp),
                (Method::DELETE, AdminAction::DeleteApp),
            ]))
            .get(apps::read)
            .put(apps::put)
            .delete(apps::delete),
    )
    .service(
        resource(
            "/v1/admin/apps/{appid}/users/{openid}/sessions",
            AdminAction::RevokeUserSessions,
        )
        .delete(users::revoke_all),
    )
    .service(
        resource(
            "/v1/admin/apps/{appid}/users/{openid}/session-key/reset",
            AdminAction::ResetSessionKey,
        )
        .post(users::reset_session_key),
    )
    .service(
        resource(
            "/v1/admin/apps/{appid}/users/{openid}/phone",
            AdminAction::ForgetPhone,
        )
        .delete(users::forget_phone),
    )
    .service(
        resource(
            "/v1/admin/apps/{appid}/access-token",
            AdminAction::ReadAccessToken,
        )
        .get(access_token::read),
    )
    .service(
        resource(
            "/v1/admin/apps/{appid}/access-token/invalidate",
            AdminAction::InvalidateAccessToken,
        )
        .post(access_token::invalidate),
    )
    .service(resource("/v1/admin/unions/{unionid}", AdminAction::ReadUnion).get(unions::read))
    .service(
        resource(
            "/v1/admin/unions/{unionid}/sessions",
            AdminAction::RevokeUnionSessions,
        )
        .delete(unions::revoke_all),
    )
    .service(
        resource(
            "/v1/admin/component/authorize-url",
            AdminAction::AuthorizeUrl,
        )
        .post(component::authorize_url),
    );
}

/// Runs an admin action whose credential (`id`) was accepted, and audits its outcome. (A
/// refused credential is audited by its extractor, before the request's body is read.)
async fn audited<T, Fut>(
    state: &AppState,
    mut audit: Audit<'_>,
    id: &str,
    action: impl FnOnce() -> Fut,
) -> Result<T, ApiError>
where
    Fut: Future<Output = Result<T, Error>>,
{
    audit.credential = Some(id);
    let result = action().await;
    audit.record(&state.metrics, audit::outcome_of(&result));
    Ok(result?)
}
