//! The app's access_token for the team's other backends: read it instead of fetching one of
//! their own, and report a token WeChat refused so that it is replaced once for everyone.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::Deserialize;

use super::audited;
use crate::domain::{Error, credentials};
use crate::http::body::Json;
use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::CredentialReader;
use crate::metrics::labels::AdminAction;
use crate::state::AppState;

/// `GET /v1/admin/apps/{appid}/access-token`: `{"access_token", "expires_in"}`.
pub async fn read(
    state: web::Data<AppState>,
    reader: CredentialReader,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    let audit = caller.audit(AdminAction::ReadAccessToken, &appid);
    let token = audited(&state, audit, &reader.id, || {
        credentials::get(&state, &appid)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(serde_json::json!({
            "access_token": token.token.expose_secret(),
            "expires_in": token.expires_in,
        })))
}

/// The body of an invalidation: the token WeChat refused.
#[derive(Debug, Deserialize)]
pub struct Refused {
    access_token: Option<String>,
}

/// `POST /v1/admin/apps/{appid}/access-token/invalidate`: compare-and-invalidate; `204`. The
/// credential comes before the body: a refused one is answered without reading it.
pub async fn invalidate(
    state: web::Data<AppState>,
    reader: CredentialReader,
    caller: Caller,
    path: web::Path<String>,
    body: Json<Refused>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    let audit = caller.audit(AdminAction::InvalidateAccessToken, &appid);
    let token = body
        .0
        .access_token
        .filter(|t| !t.is_empty() && t.len() <= 1024);
    audited(&state, audit, &reader.id, || async {
        let token = token.ok_or_else(|| Error::InvalidInput("access_token is required".into()))?;
        credentials::invalidate(&state, &appid, &token).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
