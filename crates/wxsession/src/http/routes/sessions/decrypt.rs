//! `POST /v1/sessions/current/decrypt`: decrypt `encryptedData` with the session's keys.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::Error;
use crate::domain::user_data::{self, UserData};
use crate::http::body::Json;
use crate::http::error::ApiError;
use crate::http::extract::CurrentSession;
use crate::state::AppState;

/// The decrypt request body.
#[derive(Debug, Deserialize)]
pub struct DecryptRequest {
    #[serde(rename = "encryptedData")]
    encrypted_data: Option<String>,
    iv: Option<String>,
    #[serde(rename = "rawData")]
    raw_data: Option<String>,
    signature: Option<String>,
}

impl DecryptRequest {
    /// The validated data to decrypt.
    pub fn user_data(&self) -> Result<UserData<'_>, Error> {
        UserData::parse(
            self.encrypted_data.as_deref(),
            self.iv.as_deref(),
            self.raw_data.as_deref(),
            self.signature.as_deref(),
        )?
        .ok_or_else(|| Error::InvalidInput("encryptedData and iv are required".into()))
    }
}

/// Decrypts data for the current session with the user's newest, then previous key.
pub async fn decrypt(
    state: web::Data<AppState>,
    current: CurrentSession,
    body: Json<DecryptRequest>,
) -> Result<HttpResponse, ApiError> {
    state.require_session_key(current.0.touched.record.appid.as_str())?;
    let data = body.0.user_data();
    let value = user_data::decrypt_for(&state, &current.0, data).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": value })))
}
