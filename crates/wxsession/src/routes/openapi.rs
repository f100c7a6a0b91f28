//! `GET /openapi.json`: the OpenAPI 3 document of the API. `ROUTES` is the route table the
//! tests compare with the document and with the live router.

use actix_web::HttpResponse;
use serde_json::{Value, json};

/// Every (method, path) the service serves.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/sessions"),
    ("get", "/v1/sessions/current"),
    ("delete", "/v1/sessions/current"),
    ("post", "/v1/sessions/current/decrypt"),
    ("get", "/v1/auth"),
    ("delete", "/v1/admin/apps/{appid}/users/{openid}/sessions"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn errors(codes: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|(status, what)| ((*status).to_owned(), error_response(what)))
        .collect()
}

fn with(mut responses: serde_json::Map<String, Value>, status: &str, body: Value) -> Value {
    responses.insert(status.to_owned(), body);
    Value::Object(responses)
}

const AUTH_ERRORS: &[(&str, &str)] = &[("401", "invalid_session"), ("503", "store_unavailable")];

/// The document.
pub fn document() -> Value {
    let bearer = json!([{ "bearer": [] }]);
    let json_body = |schema: &str| {
        json!({ "required": true, "content": { "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
    };
    let ok_json = |description: &str, schema: Value| json!({ "description": description, "content": { "application/json": { "schema": schema } } });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "wxsession",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Login and session service for WeChat mini-programs."
        },
        "paths": {
            "/v1/sessions": { "post": {
                "summary": "Log in with a wx.login code",
                "requestBody": json_body("LoginRequest"),
                "responses": with(errors(&[
                    ("400", "invalid_request or unknown_app"), ("401", "invalid_code or code_used"),
                    ("403", "user_blocked"), ("413", "payload_too_large"),
                    ("415", "unsupported_media_type"), ("429", "rate_limited"),
                    ("502", "wechat_error"), ("503", "wechat_unavailable or store_unavailable"),
                    ("504", "wechat_timeout")]),
                    "201", ok_json("Session created", json!({"$ref": "#/components/schemas/Login"})))
            }},
            "/v1/sessions/current": {
                "get": {
                    "summary": "Introspect the current session (slides its idle expiry)",
                    "security": bearer,
                    "responses": with(errors(AUTH_ERRORS), "200",
                        ok_json("The session", json!({"$ref": "#/components/schemas/Session"})))
                },
                "delete": {
                    "summary": "Log out",
                    "security": bearer,
                    "responses": with(errors(AUTH_ERRORS), "204", json!({"description": "Logged out"}))
                }
            },
            "/v1/sessions/current/decrypt": { "post": {
                "summary": "Decrypt encryptedData with the session's key",
                "security": bearer,
                "requestBody": json_body("DecryptRequest"),
                "responses": with(errors(&[
                    ("400", "invalid_request"), ("401", "invalid_session"),
                    ("413", "payload_too_large"), ("415", "unsupported_media_type"),
                    ("422", "decrypt_failed or signature_mismatch"), ("503", "store_unavailable")]),
                    "200", ok_json("Decrypted data", json!({
                        "type": "object", "required": ["data"],
                        "properties": { "data": { "type": "object" } } })))
            }},
            "/v1/auth": { "get": {
                "summary": "Forward-auth: 200 with X-WX-AppID, X-WX-OpenID, X-WX-UnionID headers",
                "security": bearer,
                "responses": with(errors(AUTH_ERRORS), "200", json!({
                    "description": "Authenticated",
                    "headers": {
                        "X-WX-AppID": { "schema": { "type": "string" } },
                        "X-WX-OpenID": { "schema": { "type": "string" } },
                        "X-WX-UnionID": { "schema": { "type": "string" } }
                    }
                }))
            }},
            "/v1/admin/apps/{appid}/users/{openid}/sessions": { "delete": {
                "summary": "Log a user out everywhere",
                "security": [{ "admin": [] }],
                "parameters": [
                    { "name": "appid", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "openid", "in": "path", "required": true, "schema": { "type": "string" } }
                ],
                "responses": with(errors(&[
                    ("400", "invalid_request"), ("403", "forbidden"),
                    ("404", "not_found (admin API disabled)"), ("503", "store_unavailable")]),
                    "200", ok_json("Revoked", json!({
                        "type": "object", "required": ["revoked"],
                        "properties": { "revoked": { "type": "integer", "minimum": 0 } } })))
            }},
            "/healthz": { "get": { "summary": "Liveness", "responses": {
                "200": ok_json("Serving", json!({"type": "object"})) } } },
            "/readyz": { "get": { "summary": "Readiness: the store answers", "responses": with(
                errors(&[("503", "store_unavailable")]), "200", ok_json("Ready", json!({"type": "object"}))) } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": {
                "200": { "description": "Text format 0.0.4",
                         "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/openapi.json": { "get": { "summary": "This document", "responses": {
                "200": ok_json("OpenAPI 3", json!({"type": "object"})) } } }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "wxs_ + 43 base64url characters" },
                "admin": { "type": "http", "scheme": "bearer", "description": "the admin token" }
            },
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    let s = json!({ "type": "string" });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message", "request_id"],
                "properties": { "code": s, "message": s, "request_id": s } } }
        },
        "LoginRequest": {
            "type": "object", "required": ["code"],
            "properties": {
                "code": { "type": "string", "minLength": 1, "maxLength": 256 },
                "appid": s, "encryptedData": s, "iv": s, "rawData": s, "signature": s
            }
        },
        "DecryptRequest": {
            "type": "object", "required": ["encryptedData", "iv"],
            "properties": { "encryptedData": s, "iv": s, "rawData": s, "signature": s }
        },
        "Login": {
            "type": "object", "required": ["session", "expires_in", "appid", "openid"],
            "properties": {
                "session": s, "expires_in": { "type": "integer" }, "appid": s, "openid": s,
                "unionid": s, "user": { "type": "object" },
                "user_error": { "type": "object", "properties": { "code": s, "message": s } }
            }
        },
        "Session": {
            "type": "object", "required": ["appid", "openid", "created_at", "expires_in"],
            "properties": {
                "appid": s, "openid": s, "unionid": s,
                "created_at": { "type": "integer", "description": "unix seconds" },
                "expires_in": { "type": "integer" }
            }
        }
    })
}

/// Serves the document.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
