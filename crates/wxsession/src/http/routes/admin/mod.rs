//! The admin API: on the API listener, or on `server.admin_bind` alone.

mod users;

use actix_web::web;

use crate::http::error::{ApiError, Code};

/// Registers the admin routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default().error_handler(|_, _| ApiError::from(Code::NotFound).into()),
    )
    .service(
        web::resource("/v1/admin/apps/{appid}/users/{openid}/sessions").delete(users::revoke_all),
    );
}
