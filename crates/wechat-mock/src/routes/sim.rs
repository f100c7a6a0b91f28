//! `__sim/*`: what tests need from the simulator — data encrypted the way WeChat does, and
//! counters.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use wechat_crypto::{Iv, SessionKey};

use crate::state::{State, openid_for};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EncryptRequest {
    appid: String,
    openid: Option<String>,
    user: Option<String>,
    code: Option<String>,
    /// Watermark with another appid than `appid` (to test the watermark check).
    watermark_appid: Option<String>,
    data: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    key: KeyChoice,
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum KeyChoice {
    #[default]
    Current,
    Previous,
}

pub(super) async fn encrypt(
    state: web::Data<State>,
    body: web::Json<EncryptRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    let previous = req.key == KeyChoice::Previous;
    let key = match (req.code, req.openid, req.user) {
        (Some(code), _, _) => Some(state.key_for_code(&req.appid, &code)),
        (None, Some(openid), _) => state.key(&req.appid, &openid, previous),
        (None, None, Some(user)) => state.key(&req.appid, &openid_for(&req.appid, &user), previous),
        (None, None, None) => {
            return HttpResponse::BadRequest()
                .json(json!({"error": "code, openid or user is required"}));
        }
    };
    let Some(key) = key else {
        return HttpResponse::NotFound()
            .json(json!({"error": "no such key: log the user in first"}));
    };
    let key = SessionKey::from_bytes(key);
    let mut iv = [0u8; 16];
    let _ = getrandom::fill(&mut iv);
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let enc = wechat_crypto::encrypt(
        &key,
        &Iv::from_bytes(iv),
        &req.data,
        req.watermark_appid.as_deref().unwrap_or(&req.appid),
        timestamp,
    );
    let raw_data = serde_json::Value::Object(req.data).to_string();
    let signature = wechat_crypto::raw_data_signature(&raw_data, &key);
    HttpResponse::Ok().json(json!({
        "encryptedData": enc.encrypted_data,
        "iv": enc.iv,
        "rawData": raw_data,
        "signature": signature,
    }))
}

pub(super) async fn stats(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(state.stats())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InvalidateRequest {
    appid: String,
    /// `stable_token` keeps answering the dead token (until a `force_refresh`).
    #[serde(default)]
    stale: bool,
}

/// `POST /__sim/invalidate-token`: the app's tokens die now, as when another party refreshes.
pub(super) async fn invalidate_token(
    state: web::Data<State>,
    body: web::Json<InvalidateRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    state.tokens(|t| t.invalidate(&req.appid, req.stale, state.token_ttl));
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReplaceKeyRequest {
    appid: String,
    user: String,
}

/// `POST /__sim/replace-key`: the user's key changes at WeChat (a `wx.login` the service never
/// saw), so `checksession` with the old one fails.
pub(super) async fn replace_key(
    state: web::Data<State>,
    body: web::Json<ReplaceKeyRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    match state.replace_key(&req.appid, &openid_for(&req.appid, &req.user)) {
        Some(_) => HttpResponse::NoContent().finish(),
        None => HttpResponse::NotFound().json(json!({"error": "no such user: log in first"})),
    }
}

/// `POST /__sim/session-key {"appid", "user"}` → `{"current", "previous"}` (base64, `previous`
/// null when there is none): the user's keys as WeChat holds them, for tests that prove a key
/// never leaves the service (a log, a Redis value).
pub(super) async fn session_key(
    state: web::Data<State>,
    body: web::Json<ReplaceKeyRequest>,
) -> HttpResponse {
    use base64::Engine as _;
    let req = body.into_inner();
    let openid = openid_for(&req.appid, &req.user);
    let encode = |key: [u8; 16]| base64::engine::general_purpose::STANDARD.encode(key);
    match state.key(&req.appid, &openid, false) {
        Some(current) => HttpResponse::Ok().json(json!({
            "current": encode(current),
            "previous": state.key(&req.appid, &openid, true).map(encode),
        })),
        None => HttpResponse::NotFound().json(json!({"error": "no such user: log in first"})),
    }
}
