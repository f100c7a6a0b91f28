//! The third-party platform's admin route: the authorization page's address for the vendor's
//! site, shown to its signed-in merchant.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::audited;
use crate::domain::component::portal;
use crate::http::body::Json;
use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::Admin;
use crate::metrics::labels::AdminAction;
use crate::state::AppState;

/// The body of `POST /v1/admin/component/authorize-url`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeUrl {
    /// 1 official accounts, 2 mini-programs, 3 both (the default).
    auth_type: Option<u8>,
    /// The vendor's own opaque value (at most 128 characters), handed back on the return.
    state: Option<String>,
}

/// `POST /v1/admin/component/authorize-url {"auth_type"?, "state"?}` → `{"url", "expires_in"}`.
pub async fn authorize_url(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    body: Json<AuthorizeUrl>,
) -> Result<HttpResponse, ApiError> {
    let audit = caller.audit(AdminAction::AuthorizeUrl, "");
    let body = body.0;
    let page = audited(&state, audit, &admin.id, || {
        portal::authorize_url(&state, body.auth_type, body.state.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(serde_json::json!({ "url": page.url, "expires_in": page.expires_in })))
}
