//! The simulator's HTTP routes.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use wechat_crypto::{Iv, SessionKey};

use crate::codes::{Plan, parse};
use crate::state::{State, openid_for, unionid_for};

pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: Arc<State>) {
    cfg.app_data(web::Data::from(state))
        .app_data(web::JsonConfig::default().limit(1 << 20))
        .route("/sns/jscode2session", web::get().to(jscode2session))
        .route("/__sim/encrypt", web::post().to(encrypt))
        .route("/__sim/stats", web::get().to(stats))
        .route("/healthz", web::get().to(healthz));
}

#[derive(Deserialize)]
struct Code2SessionQuery {
    appid: Option<String>,
    secret: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
}

fn errcode(code: i64, msg: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errcode": code, "errmsg": msg }))
}

async fn jscode2session(
    state: web::Data<State>,
    query: web::Query<Code2SessionQuery>,
) -> HttpResponse {
    state.count_request();
    if !state.base_latency.is_zero() {
        tokio::time::sleep(state.base_latency).await;
    }
    let q = query.into_inner();
    let Some(appid) = q.appid.filter(|a| state.secrets.contains_key(a)) else {
        return errcode(40013, "invalid appid");
    };
    if q.secret.as_deref() != state.secrets.get(&appid).map(String::as_str) {
        return errcode(40125, "invalid appsecret");
    }
    if q.grant_type.as_deref() != Some("authorization_code") {
        return errcode(40002, "invalid grant_type");
    }
    let Some(code) = q.js_code.filter(|c| !c.is_empty()) else {
        return errcode(41008, "missing code");
    };
    let mut plan = parse(&code);
    loop {
        plan = match plan {
            Plan::Slow(delay, rest) => {
                tokio::time::sleep(delay).await;
                *rest
            }
            Plan::Busy(n, rest) => {
                if state.previous_attempts(&code) < n {
                    return errcode(-1, "system error");
                }
                *rest
            }
            Plan::User(user) => return login(&state, &appid, &code, &user),
            Plan::Errcode(code) => return errcode(code, "simulated error"),
            Plan::Http(status) => {
                let status = actix_web::http::StatusCode::from_u16(status)
                    .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
                return HttpResponse::build(status)
                    .content_type("text/html")
                    .body("<html><body>simulated upstream failure</body></html>");
            }
            Plan::Garbage(body) => {
                return HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body);
            }
            Plan::BadIdentity(openid) => {
                return HttpResponse::Ok().json(Session {
                    openid: openid.to_owned(),
                    session_key: STANDARD.encode([7u8; 16]),
                    unionid: None,
                });
            }
            Plan::Invalid => return errcode(40029, "invalid code"),
        };
    }
}

/// A successful `jscode2session` body; like WeChat's, it has no `unionid` when there is none.
#[derive(serde::Serialize)]
struct Session {
    openid: String,
    session_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<String>,
}

fn login(state: &State, appid: &str, code: &str, user: &str) -> HttpResponse {
    if !state.use_code(code) {
        return errcode(40163, "code been used");
    }
    let openid = openid_for(appid, user);
    let key = state.rotate_key(appid, &openid, code);
    HttpResponse::Ok().json(Session {
        session_key: STANDARD.encode(key),
        unionid: unionid_for(user),
        openid,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptRequest {
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
enum KeyChoice {
    #[default]
    Current,
    Previous,
}

async fn encrypt(state: web::Data<State>, body: web::Json<EncryptRequest>) -> HttpResponse {
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

async fn stats(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(state.stats())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}
