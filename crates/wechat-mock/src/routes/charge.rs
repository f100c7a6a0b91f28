//! The phone-number quota: WeChat's usage API (`wxa/charge/usage/get`), the phone button
//! (`/__sim/phone-button`, what the mini-program's button would hand the page) and the quota's
//! size (`/__sim/phone-quota`).

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;

use super::sns::errcode;
use crate::charge::PHONE_SPU_ID;
use crate::state::State;

#[derive(Deserialize)]
pub(super) struct UsageQuery {
    access_token: Option<String>,
    #[serde(rename = "spuId")]
    spu_id: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
}

/// `GET /wxa/charge/usage/get?access_token&spuId&offset&limit` (getUsageDetail): the app's
/// package of the phone-number component as one package in force (`status` 1); another
/// `spuId` has none. A missing or malformed parameter, or `limit` over 20, is `10120002`
/// (参数错误, as the docs of the service providers' variant of this API list it).
pub(super) async fn usage(state: web::Data<State>, query: web::Query<UsageQuery>) -> HttpResponse {
    let Some(appid) = query
        .access_token
        .as_deref()
        .and_then(|t| state.tokens(|tokens| tokens.check(t)))
    else {
        return errcode(
            40001,
            "invalid credential, access_token is invalid or not latest",
        );
    };
    let number = |v: &Option<String>| v.as_deref().and_then(|v| v.parse::<u64>().ok());
    let (Some(spu), Some(offset), Some(limit)) = (
        query.spu_id.as_deref().filter(|s| !s.is_empty()),
        number(&query.offset),
        number(&query.limit),
    ) else {
        return errcode(10120002, "invalid parameter");
    };
    if !(1..=20).contains(&limit) {
        return errcode(10120002, "invalid parameter");
    }
    if spu != PHONE_SPU_ID {
        return HttpResponse::Ok().json(json!({
            "errcode": 0, "errmsg": "ok", "all": "0", "effectiveUse": "0", "total": 0,
            "detailList": []
        }));
    }
    let package = state.charges.package(&appid);
    let (all, used) = (package.size(), package.used);
    let listed = if offset == 0 {
        vec![json!({
            "pkgId": format!("sim-{appid}"),
            "status": 1,
            "startTime": 1_692_979_200,
            "endTime": 4_294_967_295_u64,
            "all": all.to_string(),
            "used": used.to_string(),
            "spuId": PHONE_SPU_ID,
            "skuId": "20000093",
            "source": 1
        })]
    } else {
        Vec::new()
    };
    HttpResponse::Ok().json(json!({
        "errcode": 0, "errmsg": "ok",
        "all": all.to_string(), "effectiveUse": used.to_string(),
        "total": 1, "detailList": listed
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ButtonRequest {
    appid: String,
    user: String,
    /// `getRealtimePhoneNumber` instead of `getPhoneNumber` (the event's name in `errMsg`).
    #[serde(default)]
    realtime: bool,
}

/// `POST /__sim/phone-button`: the user taps the phone button and allows. Answers what the
/// button's event carries in `e.detail`: `{"errMsg": "…:ok", "code"}` (one verification
/// charged), or, with the quota spent, `{"errMsg": "…:fail …", "errno": 1400001}`.
pub(super) async fn button(
    state: web::Data<State>,
    body: web::Json<ButtonRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    let event = if req.realtime {
        "getRealtimePhoneNumber"
    } else {
        "getPhoneNumber"
    };
    let mut nonce = [0u8; 12];
    let _ = getrandom::fill(&mut nonce);
    let code = format!("phone:{}:{}", req.user, URL_SAFE_NO_PAD.encode(nonce));
    if !state.charges.charge(&req.appid, &code) {
        return HttpResponse::Ok().json(json!({
            "errMsg": format!("{event}:fail no quota (simulated)"),
            "errno": 1_400_001
        }));
    }
    HttpResponse::Ok().json(json!({ "errMsg": format!("{event}:ok"), "code": code }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuotaRequest {
    appid: String,
    /// The package's size; absent or null: unlimited.
    all: Option<u64>,
}

/// `POST /__sim/phone-quota`: sets the size of the app's phone-number package.
pub(super) async fn set_quota(
    state: web::Data<State>,
    body: web::Json<QuotaRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    state.charges.set_quota(&req.appid, req.all);
    HttpResponse::NoContent().finish()
}
