//! Every error code's exact JSON, pinned.

use actix_web::body::MessageBody as _;

use super::*;
use crate::domain::Error;

/// Every code's exact body, status and extra headers: the contract, pinned.
#[rustfmt::skip]
const PINNED: &[(&str, u16, &str, &str)] = &[
    ("invalid_request", 400, "", r#"{"error":{"code":"invalid_request","message":"the request is malformed","request_id":""}}"#),
    ("unknown_app", 400, "", r#"{"error":{"code":"unknown_app","message":"unknown or missing appid","request_id":""}}"#),
    ("unsupported_for_app", 400, "", r#"{"error":{"code":"unsupported_for_app","message":"this app kind does not support the operation","request_id":""}}"#),
    ("invalid_state", 400, "", r#"{"error":{"code":"invalid_state","message":"the login state is invalid, expired or used: start the login again","request_id":""}}"#),
    ("invalid_code", 401, "www-authenticate: Bearer", r#"{"error":{"code":"invalid_code","message":"the login code is invalid or expired: call wx.login again","request_id":""}}"#),
    ("code_used", 401, "www-authenticate: Bearer", r#"{"error":{"code":"code_used","message":"the login code was already used: call wx.login again","request_id":""}}"#),
    ("invalid_session", 401, "www-authenticate: Bearer", r#"{"error":{"code":"invalid_session","message":"the session is missing, invalid or expired: log in again","request_id":""}}"#),
    ("forbidden", 403, "", r#"{"error":{"code":"forbidden","message":"forbidden","request_id":""}}"#),
    ("user_blocked", 403, "", r#"{"error":{"code":"user_blocked","message":"the user is blocked by WeChat","request_id":""}}"#),
    ("app_unauthorized", 403, "", r#"{"error":{"code":"app_unauthorized","message":"the app has not authorized this service: its owner must authorize it again","request_id":""}}"#),
    ("not_found", 404, "", r#"{"error":{"code":"not_found","message":"not found","request_id":""}}"#),
    ("app_managed_elsewhere", 409, "", r#"{"error":{"code":"app_managed_elsewhere","message":"the app is managed by the config file or the third-party platform, not through this API","request_id":""}}"#),
    ("phone_unknown", 404, "", r#"{"error":{"code":"phone_unknown","message":"no phone number is remembered for this user: show the phone button","request_id":""}}"#),
    ("method_not_allowed", 405, "", r#"{"error":{"code":"method_not_allowed","message":"method not allowed","request_id":""}}"#),
    ("request_timeout", 408, "", r#"{"error":{"code":"request_timeout","message":"the request was not received in time","request_id":""}}"#),
    ("payload_too_large", 413, "", r#"{"error":{"code":"payload_too_large","message":"the request body is too large","request_id":""}}"#),
    ("unsupported_media_type", 415, "", r#"{"error":{"code":"unsupported_media_type","message":"the request body must be uncompressed application/json","request_id":""}}"#),
    ("decrypt_failed", 422, "", r#"{"error":{"code":"decrypt_failed","message":"the data could not be decrypted with this session: call wx.login, log in again, then fetch the data again","request_id":""}}"#),
    ("signature_mismatch", 422, "", r#"{"error":{"code":"signature_mismatch","message":"the rawData signature does not match","request_id":""}}"#),
    ("invalid_phone_code", 422, "", r#"{"error":{"code":"invalid_phone_code","message":"the phone code is invalid, expired or used: ask the user again","request_id":""}}"#),
    ("rate_limited", 429, "retry-after: 1", r#"{"error":{"code":"rate_limited","message":"too many requests: retry later","request_id":""}}"#),
    ("wechat_error", 502, "", r#"{"error":{"code":"wechat_error","message":"WeChat returned an error","request_id":""}}"#),
    ("wechat_unavailable", 503, "retry-after: 1", r#"{"error":{"code":"wechat_unavailable","message":"WeChat is unavailable: retry later","request_id":""}}"#),
    ("store_unavailable", 503, "retry-after: 1", r#"{"error":{"code":"store_unavailable","message":"the session store is unavailable: retry later","request_id":""}}"#),
    ("store_full", 503, "retry-after: 1", r#"{"error":{"code":"store_full","message":"the session store is full: retry later","request_id":""}}"#),
    ("store_not_durable", 503, "", r#"{"error":{"code":"store_not_durable","message":"the store does not keep durable records: nothing was written","request_id":""}}"#),
    ("wechat_timeout", 504, "retry-after: 1", r#"{"error":{"code":"wechat_timeout","message":"WeChat did not answer in time","request_id":""}}"#),
    ("internal", 500, "", r#"{"error":{"code":"internal","message":"internal error","request_id":""}}"#),
];

#[test]
fn every_code_renders_its_pinned_json() {
    assert_eq!(Code::ALL.len(), PINNED.len());
    for (code, (name, status, header, body)) in Code::ALL.iter().zip(PINNED) {
        let response = ApiError::from(*code).error_response();
        assert_eq!(code.as_str(), *name);
        assert_eq!(response.status().as_u16(), *status, "{name}");
        if let Some((key, value)) = header.split_once(": ") {
            assert_eq!(
                response.headers().get(key).map(|v| v.as_bytes()),
                Some(value.as_bytes()),
                "{name}"
            );
        }
        let bytes = response.into_body().try_into_bytes().expect("a body");
        assert_eq!(std::str::from_utf8(&bytes).expect("utf-8"), *body, "{name}");
    }
}

#[test]
fn a_rate_limit_carries_its_own_retry_after() {
    let response = ApiError::from(Error::RateLimited { retry_after: 17 }).error_response();
    assert_eq!(
        response.headers().get(RETRY_AFTER).map(|v| v.as_bytes()),
        Some(&b"17"[..])
    );
}
