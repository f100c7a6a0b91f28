//! The third-party platform's routes in the document.

use serde_json::{Value, json};

use super::{errors, with};
use crate::http::error::Code;

fn query(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": true, "description": description,
            "schema": { "type": "string" } })
}

/// `/v1/component/events`, `/v1/component/authorized`, `/v1/admin/component/authorize-url`.
pub(super) fn paths() -> serde_json::Map<String, Value> {
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/v1/component/events".into(),
        json!({ "post": {
            "summary": "WeChat's pushes to the platform's event URL (授权事件接收 URL): verified, decrypted, replays dropped",
            "security": [{}],
            "parameters": [
                query("timestamp", "unix seconds; more than 10 minutes from the server's clock is refused"),
                query("nonce", "as signed"),
                query("encrypt_type", "aes"),
                query("msg_signature", "SHA-1 over the Token, timestamp, nonce and Encrypt"),
            ],
            "requestBody": { "required": true, "content": { "text/xml": { "schema": { "type": "string" } } } },
            "responses": with(
                errors(&[Code::InvalidRequest, Code::PayloadTooLarge, Code::StoreUnavailable, Code::StoreNotDurable, Code::WechatUnavailable]),
                "200",
                json!({ "description": "`success`", "content": { "text/plain": { "schema": { "type": "string" } } } }),
            )
        }}),
    );
    paths.insert(
        "/v1/component/authorized".into(),
        json!({ "get": {
            "summary": "A merchant's browser back from WeChat's authorization page: the code exchanged (once, with the `authorized` push), 303 to `component.after_authorize_url?authorizer_appid&state` — a hint the vendor confirms with GET /v1/admin/apps/{appid}",
            "security": [{}],
            "parameters": [
                query("s", "the vendor's state, sealed by the service into the return address"),
                query("auth_code", "WeChat's authorization code"),
                { "name": "expires_in", "in": "query", "required": false, "schema": { "type": "string" } },
            ],
            "responses": with(
                errors(&[Code::InvalidRequest, Code::InvalidState, Code::AppManagedElsewhere, Code::StoreUnavailable, Code::StoreNotDurable, Code::WechatError, Code::WechatUnavailable]),
                "303",
                json!({ "description": "to `component.after_authorize_url` with `authorizer_appid` and `state`" }),
            )
        }}),
    );
    paths.insert(
        "/v1/admin/component/authorize-url".into(),
        json!({ "post": {
            "summary": "The address of WeChat's authorization page (componentloginpage) with a fresh pre_auth_code, for the vendor's signed-in merchant",
            "security": [{ "admin": [] }],
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "auth_type": { "type": "integer", "enum": [1, 2, 3], "description": "1 official accounts, 2 mini-programs, 3 both (default)" },
                    "state": { "type": "string", "maxLength": 128, "description": "the vendor's own value, handed back on the return" }
                } } } } },
            "responses": with(
                errors(&[Code::InvalidRequest, Code::InvalidSession, Code::Forbidden, Code::RequestTimeout, Code::PayloadTooLarge, Code::UnsupportedMediaType, Code::StoreUnavailable, Code::WechatError, Code::WechatUnavailable]),
                "200",
                json!({ "description": "The page's address", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["url", "expires_in"],
                    "properties": { "url": { "type": "string" }, "expires_in": { "type": "integer" } } } } } }),
            )
        }}),
    );
    paths
}
