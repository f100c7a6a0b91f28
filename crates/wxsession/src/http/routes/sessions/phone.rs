//! `POST /v1/sessions/current/phone`: the user's phone number from a phone code.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::{login, phone};
use crate::http::body::Json;
use crate::http::error::ApiError;
use crate::http::extract::CurrentSession;
use crate::state::AppState;

/// The body: the code from `<button open-type="getPhoneNumber">` (not a `wx.login` code).
#[derive(Debug, Deserialize)]
pub struct PhoneBody {
    code: Option<String>,
}

/// `200 {"phoneNumber", "purePhoneNumber", "countryCode"}`.
pub async fn phone_number(
    state: web::Data<AppState>,
    current: CurrentSession,
    body: Json<PhoneBody>,
) -> Result<HttpResponse, ApiError> {
    state.require_session_key(current.0.touched.record.appid.as_str())?;
    let code = login::check_code(body.0.code.as_deref())?;
    let phone = phone::lookup(&state, &current.0, code).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(phone))
}
