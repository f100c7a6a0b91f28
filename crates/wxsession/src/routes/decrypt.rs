//! `POST /v1/sessions/current/decrypt`, and the key-trying logic the one-request login shares.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use wechat_crypto::{Ciphertext, Error as CryptoError, FailureReason, SessionKey};

use crate::error::ApiError;
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
    pub fn user_data(&self) -> Result<UserData<'_>, ApiError> {
        UserData::parse(
            self.encrypted_data.as_deref(),
            self.iv.as_deref(),
            self.raw_data.as_deref(),
            self.signature.as_deref(),
        )?
        .ok_or_else(|| ApiError::InvalidRequest("encryptedData and iv are required".into()))
    }
}

/// What to decrypt: validated ciphertext and an optional `rawData` + signature.
#[derive(Debug)]
pub struct UserData<'a> {
    ciphertext: Ciphertext,
    signed: Option<(&'a str, &'a str)>,
}

impl<'a> UserData<'a> {
    /// Validates the fields; `Ok(None)` when no encrypted data was sent and it is optional.
    pub fn parse(
        encrypted_data: Option<&'a str>,
        iv: Option<&'a str>,
        raw_data: Option<&'a str>,
        signature: Option<&'a str>,
    ) -> Result<Option<Self>, ApiError> {
        let signed = super::pair((raw_data, "rawData"), (signature, "signature"))?;
        let Some((data, iv)) = super::pair((encrypted_data, "encryptedData"), (iv, "iv"))? else {
            return Ok(None);
        };
        let ciphertext = Ciphertext::from_base64(iv, data)
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        Ok(Some(Self { ciphertext, signed }))
    }

    /// Tries each key, newest first; a result counts only when padding, JSON and watermark all
    /// check out. Then the `rawData` signature, when sent, must match the key that worked.
    pub fn decrypt(
        &self,
        state: &AppState,
        appid: &str,
        keys: &[String],
    ) -> Result<serde_json::Value, ApiError> {
        let m = &state.metrics;
        let mut reason = FailureReason::Padding;
        for key in keys {
            let Ok(key) = SessionKey::from_base64(key) else {
                continue;
            };
            match self.ciphertext.decrypt_checked(&key, appid) {
                Ok(out) => {
                    if let Some((raw, sig)) = self.signed
                        && wechat_crypto::verify_raw_data_signature(raw, sig, &key).is_err()
                    {
                        m.decrypt_total.with_label_values(&[appid, "failed"]).inc();
                        m.decrypt_failures_total
                            .with_label_values(&[appid, "signature"])
                            .inc();
                        return Err(ApiError::SignatureMismatch);
                    }
                    m.decrypt_total.with_label_values(&[appid, "ok"]).inc();
                    return Ok(out.data);
                }
                Err(CryptoError::DecryptFailed(r)) => reason = r,
                Err(_) => {}
            }
        }
        m.decrypt_total.with_label_values(&[appid, "failed"]).inc();
        m.decrypt_failures_total
            .with_label_values(&[appid, reason.as_str()])
            .inc();
        Err(ApiError::DecryptFailed)
    }
}

/// Counts a request rejected before decryption.
pub fn count_bad_input(state: &AppState, appid: &str) {
    let m = &state.metrics;
    m.decrypt_total
        .with_label_values(&[appid, "bad_input"])
        .inc();
    m.decrypt_failures_total
        .with_label_values(&[appid, "bad_input"])
        .inc();
}

/// Decrypts data for the current session with the user's newest, then previous key.
pub async fn decrypt(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: super::body::Json<DecryptRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, touched) = super::authenticate_id(&state, &req).await?;
    let appid = touched.record.appid.as_str();
    let openid = touched.record.openid.as_str();
    let b = body.0;
    let data = match b.user_data() {
        Ok(data) => data,
        Err(err) => {
            count_bad_input(&state, appid);
            return Err(err);
        }
    };
    // The failure budget and the user's keys: two commands, pipelined on the connection.
    let (claim, keys) = tokio::join!(
        crate::limits::claim_decrypt(&state, &id),
        state.store_op("user_keys", state.store.user_keys(appid, openid)),
    );
    let claim = claim?;
    let keys: Vec<String> = keys?
        .iter()
        .filter_map(|stored| state.keyring.open(stored, appid, openid))
        .collect();
    let value = data.decrypt(&state, appid, &keys)?;
    claim.succeeded(&state).await;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": value })))
}
