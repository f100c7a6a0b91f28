//! The third-party platform's routes in the document.

use serde_json::{Value, json};

use super::{errors, with};
use crate::http::error::Code;

fn query(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": true, "description": description,
            "schema": { "type": "string" } })
}

/// `/v1/component/events`.
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
    paths
}
