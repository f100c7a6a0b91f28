//! `GET /v1/sessions/current/key-status`: whether WeChat still holds the user's newest key.

use actix_web::{HttpResponse, web};

use crate::domain::session_key;
use crate::http::error::ApiError;
use crate::http::extract::CurrentSession;
use crate::state::AppState;

/// `200 {"valid": true|false}`; `false` tells the client to `wx.login` before fetching
/// encrypted data.
pub async fn key_status(
    state: web::Data<AppState>,
    current: CurrentSession,
) -> Result<HttpResponse, ApiError> {
    state.require_session_key(current.0.touched.record.appid.as_str())?;
    let valid = session_key::status(&state, &current.0).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "valid": valid })))
}
