//! `/v1/sessions/current/phone`: the user's phone number from a phone code (`POST`), the
//! remembered number (`GET`), forgetting it (`DELETE`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::{login, phone};
use crate::http::body::Json;
use crate::http::error::{ApiError, Code};
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

/// `GET`: `200 {"phoneNumber", "purePhoneNumber", "countryCode", "verified_at"}` when a number
/// is remembered (`phone.remember_days`), else `404 phone_unknown` (show the button).
pub async fn known(
    state: web::Data<AppState>,
    current: CurrentSession,
) -> Result<HttpResponse, ApiError> {
    let record = &current.0.touched.record;
    state.require_session_key(record.appid.as_str())?;
    let remembered = phone::remember::known(&state, &record.appid, &record.openid)
        .await?
        .ok_or(Code::PhoneUnknown)?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(remembered))
}

/// `DELETE`: `204`; the remembered number is gone (whether there was one or not).
pub async fn forget(
    state: web::Data<AppState>,
    current: CurrentSession,
) -> Result<HttpResponse, ApiError> {
    let record = &current.0.touched.record;
    phone::remember::forget(&state, &record.appid, &record.openid).await?;
    Ok(HttpResponse::NoContent().finish())
}
