//! `wxa/*`: the phone number, `checkSessionKey` and `resetUserSessionKey`, each behind a valid
//! access_token (`40001` otherwise).

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use wechat_crypto::SessionKey;

use super::sns::errcode;
use crate::codes::Plan;
use crate::state::{Counter, State, openid_for};

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    access_token: Option<String>,
    openid: Option<String>,
    signature: Option<String>,
    sig_method: Option<String>,
}

/// WeChat's refusal: an errcode and its message.
type Refusal = (i64, &'static str);

/// The app of a valid access_token, or WeChat's `40001`; a call `api` made with a merchant's
/// `authorizer_access_token` is counted in the platform's stats.
fn app_of(state: &State, api: &str, token: Option<&str>) -> Result<String, Refusal> {
    let (token, appid) = token
        .and_then(|t| Some((t, state.tokens(|tokens| tokens.check(t))?)))
        .ok_or((
            40001,
            "invalid credential, access_token is invalid or not latest",
        ))?;
    if let Some(platform) = state.component.as_ref() {
        platform.note_call(api, token, &appid);
    }
    Ok(appid)
}

#[derive(Deserialize)]
pub(super) struct PhoneRequest {
    code: Option<String>,
    openid: Option<String>,
}

/// The simulator's phone number of `user`: deterministic, a mainland mobile number.
pub fn phone_for(user: &str) -> String {
    let digest = crate::state::openid_for("phone", user);
    let digits: String = digest
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(8)
        .collect();
    format!("138{digits}")
}

/// `POST /wxa/business/getuserphonenumber?access_token=…` with `{"code", "openid"?}`.
pub(super) async fn phone_number(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
    body: web::Json<PhoneRequest>,
) -> HttpResponse {
    state.count(Counter::Phone);
    let appid = match app_of(&state, "getuserphonenumber", query.access_token.as_deref()) {
        Ok(appid) => appid,
        Err((code, message)) => return errcode(code, message),
    };
    let req = body.into_inner();
    let Some(code) = req.code.filter(|c| !c.is_empty()) else {
        return errcode(41008, "missing code");
    };
    let user = match super::follow(&state, &code).await {
        Ok(Plan::Phone(user)) => user,
        Ok(_) => return errcode(40029, "invalid code"),
        Err(answer) => return answer,
    };
    // A phone code is bound to its user: another openid gets "invalid code".
    if req
        .openid
        .as_deref()
        .is_some_and(|o| o != openid_for(&appid, &user))
    {
        return errcode(40029, "invalid code");
    }
    // Its button was charged when it issued the code; a code a test wrote itself is charged
    // now, and with the quota spent no button could have issued it.
    if !state.charges.charge(&appid, &code) {
        return errcode(40029, "invalid code (simulator: the phone quota is spent)");
    }
    if !state.use_code(&code) {
        return errcode(40163, "code been used");
    }
    let phone = phone_for(&user);
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    HttpResponse::Ok().json(json!({
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": phone,
            "purePhoneNumber": phone,
            "countryCode": "86",
            "watermark": { "timestamp": timestamp, "appid": appid }
        }
    }))
}

/// Checks `signature` against the user's current key.
fn signed_by_current_key(state: &State, appid: &str, q: &TokenQuery) -> Result<(), Refusal> {
    if q.sig_method.as_deref() != Some("hmac_sha256") {
        return Err((87009, "invalid signature method"));
    }
    let key = q
        .openid
        .as_deref()
        .and_then(|openid| state.key(appid, openid, false))
        .ok_or((40003, "invalid openid"))?;
    let expected = wechat_crypto::user_state_signature(&SessionKey::from_bytes(key), b"");
    if q.signature.as_deref() == Some(expected.as_str()) {
        Ok(())
    } else {
        Err((87009, "invalid signature"))
    }
}

/// The app of a request (`api`) signed with the user's current key, or WeChat's refusal.
fn signed_request(state: &State, api: &str, q: &TokenQuery) -> Result<String, Refusal> {
    state.count(Counter::Key);
    let appid = app_of(state, api, q.access_token.as_deref())?;
    signed_by_current_key(state, &appid, q)?;
    Ok(appid)
}

/// `GET /wxa/checksession`: `0` when the signature is the user's current key's, else `87009`.
pub(super) async fn check_session(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    match signed_request(&state, "checksession", &query) {
        Ok(_) => errcode(0, "ok"),
        Err((code, message)) => errcode(code, message),
    }
}

/// `GET /wxa/resetusersessionkey`: a new key for the user, signed for by the current one.
pub(super) async fn reset_session_key(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let appid = match signed_request(&state, "resetusersessionkey", &query) {
        Ok(appid) => appid,
        Err((code, message)) => return errcode(code, message),
    };
    let openid = query.openid.clone().unwrap_or_default();
    match state.replace_key(&appid, &openid) {
        Some(key) => HttpResponse::Ok().json(json!({
            "errcode": 0, "errmsg": "ok", "openid": openid, "session_key": STANDARD.encode(key)
        })),
        None => errcode(40003, "invalid openid"),
    }
}
