//! `GET /openapi.json`: the OpenAPI 3 document of the API. `ROUTES` is the route table the
//! tests compare with the document and with the live router.

use serde_json::{Value, json};

mod apps;
mod component;
mod listener;
mod schemas;

pub use self::listener::{Served, document, serve};
use self::schemas::{return_to_pattern, schemas};
use super::error::Code;

/// Every (method, path) the service serves.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/sessions"),
    ("get", "/v1/sessions/current"),
    ("delete", "/v1/sessions/current"),
    ("post", "/v1/sessions/current/decrypt"),
    ("post", "/v1/sessions/current/phone"),
    ("get", "/v1/sessions/current/phone"),
    ("delete", "/v1/sessions/current/phone"),
    ("get", "/v1/sessions/current/key-status"),
    ("get", "/v1/auth"),
    ("get", "/v1/admin/apps"),
    ("get", "/v1/admin/apps/{appid}"),
    ("put", "/v1/admin/apps/{appid}"),
    ("delete", "/v1/admin/apps/{appid}"),
    ("delete", "/v1/admin/apps/{appid}/users/{openid}/sessions"),
    (
        "post",
        "/v1/admin/apps/{appid}/users/{openid}/session-key/reset",
    ),
    ("delete", "/v1/admin/apps/{appid}/users/{openid}/phone"),
    ("get", "/v1/admin/apps/{appid}/access-token"),
    ("post", "/v1/admin/apps/{appid}/access-token/invalidate"),
    ("get", "/v1/admin/unions/{unionid}"),
    ("delete", "/v1/admin/unions/{unionid}/sessions"),
    ("post", "/v1/admin/component/authorize-url"),
    ("get", "/v1/web/{appid}/login"),
    ("get", "/v1/web/{appid}/callback"),
    ("post", "/v1/web/logout"),
    ("post", "/v1/component/events"),
    ("get", "/v1/component/authorized"),
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

/// The error responses of an operation, read from the error table: one entry per status,
/// naming its codes.
fn errors(codes: &[Code]) -> serde_json::Map<String, Value> {
    let mut by_status: std::collections::BTreeMap<u16, Vec<&str>> = Default::default();
    for code in codes {
        by_status
            .entry(code.status().as_u16())
            .or_default()
            .push(code.as_str());
    }
    by_status
        .into_iter()
        .map(|(status, names)| (status.to_string(), error_response(&names.join(" or "))))
        .collect()
}

fn with(mut responses: serde_json::Map<String, Value>, status: &str, body: Value) -> Value {
    responses.insert(status.to_owned(), body);
    Value::Object(responses)
}

const AUTH_ERRORS: &[Code] = &[Code::InvalidSession, Code::StoreUnavailable];

/// The configured apps, by what they may do: every app; those that log in through
/// `POST /v1/sessions` (mini-programs and mobile apps); those with a `session_key`
/// (mini-programs: user data at login); the browser apps (`/v1/web/…`).
#[derive(Debug, Default)]
pub struct Apps<'a> {
    /// Every configured appid.
    pub all: Vec<&'a str>,
    /// Mini-programs and mobile apps.
    pub login: Vec<&'a str>,
    /// Mini-programs.
    pub keyed: Vec<&'a str>,
    /// Websites and official accounts.
    pub web: Vec<&'a str>,
    /// Name no appid (the lists above are empty): appids are plain strings in the document.
    pub redacted: bool,
}

/// The whole document for the configured apps, with the origins `return_to` may lead to
/// ([`listener::document`] keeps what one listener serves).
fn full_document(apps: &Apps<'_>, origins: &[String]) -> Value {
    let bearer = json!([{ "bearer": [] }, { "cookie": [] }]);
    // An empty enum is no schema: with no web app configured, every appid is a 400.
    let web_appid = if apps.web.is_empty() || apps.redacted {
        json!({ "type": "string" })
    } else {
        json!({ "type": "string", "enum": apps.web })
    };
    let appid_param = json!({ "name": "appid", "in": "path", "required": true,
        "description": "a configured website or official-account app", "schema": web_appid });
    let return_to = json!({ "name": "return_to", "in": "query", "required": false,
        "description": "a path on this service, or a URL on an origin in web.allowed_origins (default /)",
        "schema": { "type": "string", "maxLength": 2048, "pattern": return_to_pattern(origins) } });
    let unionid_param = json!({ "name": "unionid", "in": "path", "required": true, "schema": { "type": "string" } });
    let json_body = |schema: &str| {
        json!({ "required": true, "content": { "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
    };
    let ok_json = |description: &str, schema: Value| json!({ "description": description, "content": { "application/json": { "schema": schema } } });
    let mut document = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "wxsession",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Login and session service for WeChat mini-programs, mobile apps, websites and official accounts."
        },
        "paths": {
            "/v1/sessions": { "post": {
                "summary": "Log in with a wx.login code (mini-program) or a mobile app's WeChat SDK code",
                "requestBody": json_body("LoginRequest"),
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnknownApp, Code::UnsupportedForApp,
                    Code::InvalidCode, Code::CodeUsed,
                    Code::UserBlocked, Code::RequestTimeout, Code::PayloadTooLarge,
                    Code::UnsupportedMediaType, Code::RateLimited, Code::WechatError,
                    Code::WechatUnavailable, Code::StoreUnavailable, Code::WechatTimeout]),
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
                    "summary": "Log out (with the cookie: from an allowed Origin only)",
                    "security": bearer,
                    "responses": with(errors(&[Code::InvalidSession, Code::Forbidden, Code::StoreUnavailable]),
                        "204", json!({"description": "Logged out"}))
                }
            },
            "/v1/sessions/current/decrypt": { "post": {
                "summary": "Decrypt encryptedData with the session's key",
                "security": bearer,
                "requestBody": json_body("DecryptRequest"),
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnsupportedForApp, Code::InvalidSession,
                    Code::Forbidden, Code::RequestTimeout,
                    Code::PayloadTooLarge, Code::UnsupportedMediaType, Code::DecryptFailed,
                    Code::SignatureMismatch, Code::RateLimited, Code::StoreUnavailable]),
                    "200", ok_json("Decrypted data", json!({
                        "type": "object", "required": ["data"],
                        "properties": { "data": { "type": "object" } } })))
            }},
            "/v1/sessions/current/phone": {
                "post": {
                    "summary": "The user's phone number from a getPhoneNumber or getRealtimePhoneNumber code (one WeChat call per code; WeChat charges when the button succeeds, not for this call); remembered when phone.remember_days is on",
                    "security": bearer,
                    "requestBody": json_body("PhoneRequest"),
                    "responses": with(errors(&[
                        Code::InvalidRequest, Code::UnsupportedForApp, Code::InvalidSession,
                        Code::Forbidden, Code::RequestTimeout,
                        Code::PayloadTooLarge, Code::UnsupportedMediaType, Code::InvalidPhoneCode,
                        Code::RateLimited, Code::WechatError, Code::WechatUnavailable,
                        Code::StoreUnavailable, Code::WechatTimeout]),
                        "200", ok_json("The phone number", json!({"$ref": "#/components/schemas/Phone"})))
                },
                "get": {
                    "summary": "The user's remembered phone number (phone.remember_days): ask here before showing the paid phone button",
                    "security": bearer,
                    "responses": with(errors(&[
                        Code::UnsupportedForApp, Code::InvalidSession, Code::PhoneUnknown,
                        Code::StoreUnavailable]),
                        "200", ok_json("The remembered number", json!({"$ref": "#/components/schemas/RememberedPhone"})))
                },
                "delete": {
                    "summary": "Forget the user's remembered phone number (erasure)",
                    "security": bearer,
                    "responses": with(errors(&[Code::InvalidSession, Code::Forbidden, Code::StoreUnavailable]),
                        "204", json!({"description": "Forgotten (or none was remembered)"}))
                }
            },
            "/v1/sessions/current/key-status": { "get": {
                "summary": "Whether WeChat still holds the user's newest session_key (checkSessionKey)",
                "security": bearer,
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnsupportedForApp, Code::InvalidSession,
                    Code::RateLimited, Code::WechatError, Code::WechatUnavailable,
                    Code::StoreUnavailable, Code::WechatTimeout]),
                    "200", ok_json("Key status", json!({
                        "type": "object", "required": ["valid"],
                        "properties": { "valid": { "type": "boolean" } } })))
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
                    Code::InvalidRequest, Code::InvalidSession, Code::Forbidden, Code::NotFound,
                    Code::StoreUnavailable]),
                    "200", ok_json("Revoked", json!({
                        "type": "object", "required": ["revoked"],
                        "properties": { "revoked": { "type": "integer", "minimum": 0 } } })))
            }},
            "/v1/admin/apps/{appid}/users/{openid}/session-key/reset": { "post": {
                "summary": "Have WeChat replace the user's session_key (resetUserSessionKey)",
                "security": [{ "admin": [] }],
                "parameters": [
                    { "name": "appid", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "openid", "in": "path", "required": true, "schema": { "type": "string" } }
                ],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnknownApp, Code::InvalidSession, Code::Forbidden,
                    Code::NotFound, Code::RateLimited, Code::WechatError, Code::WechatUnavailable,
                    Code::StoreUnavailable, Code::WechatTimeout]),
                    "200", ok_json("Reset", json!({
                        "type": "object", "required": ["reset"],
                        "properties": { "reset": { "type": "boolean" } } })))
            }},
            "/v1/admin/apps/{appid}/users/{openid}/phone": { "delete": {
                "summary": "Forget a user's remembered phone number (an erasure request that reached the team)",
                "security": [{ "admin": [] }],
                "parameters": [
                    { "name": "appid", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "openid", "in": "path", "required": true, "schema": { "type": "string" } }
                ],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::InvalidSession, Code::Forbidden, Code::NotFound,
                    Code::StoreUnavailable]),
                    "204", json!({"description": "Forgotten (or none was remembered)"}))
            }},
            "/v1/admin/apps/{appid}/access-token": { "get": {
                "summary": "The app's access_token, shared by every replica and the team's other backends",
                "security": [{ "admin": [] }],
                "parameters": [
                    { "name": "appid", "in": "path", "required": true, "schema": { "type": "string" } }
                ],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnknownApp, Code::InvalidSession, Code::Forbidden,
                    Code::NotFound, Code::RateLimited, Code::WechatError, Code::WechatUnavailable,
                    Code::StoreUnavailable, Code::WechatTimeout]),
                    "200", ok_json("The token", json!({
                        "type": "object", "required": ["access_token", "expires_in"],
                        "properties": { "access_token": { "type": "string" },
                                        "expires_in": { "type": "integer" } } })))
            }},
            "/v1/admin/apps/{appid}/access-token/invalidate": { "post": {
                "summary": "Report a token WeChat refused: replaced once for the whole fleet",
                "security": [{ "admin": [] }],
                "parameters": [
                    { "name": "appid", "in": "path", "required": true, "schema": { "type": "string" } }
                ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["access_token"],
                    "properties": { "access_token": { "type": "string", "minLength": 1, "maxLength": 1024 } } } } } },
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnknownApp, Code::InvalidSession, Code::Forbidden,
                    Code::NotFound, Code::RequestTimeout, Code::PayloadTooLarge,
                    Code::UnsupportedMediaType, Code::StoreUnavailable]),
                    "204", json!({"description": "Invalidated (or no longer current)"}))
            }},
            "/v1/admin/unions/{unionid}": { "get": {
                "summary": "One person across the team's apps: the accounts a unionid links and their live sessions",
                "security": [{ "admin": [] }],
                "parameters": [unionid_param.clone()],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::InvalidSession, Code::Forbidden, Code::NotFound,
                    Code::StoreUnavailable]),
                    "200", ok_json("The person", json!({"$ref": "#/components/schemas/Union"})))
            }},
            "/v1/admin/unions/{unionid}/sessions": { "delete": {
                "summary": "Log the person out of every app",
                "security": [{ "admin": [] }],
                "parameters": [unionid_param],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::InvalidSession, Code::Forbidden, Code::NotFound,
                    Code::StoreUnavailable]),
                    "200", ok_json("Revoked", json!({
                        "type": "object", "required": ["revoked"],
                        "properties": { "revoked": { "type": "integer", "minimum": 0 } } })))
            }},
            "/v1/web/{appid}/login": { "get": {
                "summary": "Start a browser login (website: QR; official account: in-WeChat page): 302 to WeChat, state bound to this browser by a cookie",
                "parameters": [appid_param.clone(), return_to.clone()],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnknownApp, Code::UnsupportedForApp,
                    Code::StoreUnavailable]),
                    "302", json!({"description": "To WeChat's page; Set-Cookie: __Host-wxs_state (the state, sealed; nothing is stored)"}))
            }},
            "/v1/web/{appid}/callback": { "get": {
                "summary": "Where WeChat sends the browser back: 303 to return_to with the __Host-wxs_session cookie",
                "parameters": [appid_param,
                    { "name": "code", "in": "query", "required": false, "schema": { "type": "string" } },
                    { "name": "state", "in": "query", "required": true,
                      "schema": { "type": "string", "pattern": "^[A-Za-z0-9]{16,128}$" } }],
                "responses": with(errors(&[
                    Code::InvalidRequest, Code::UnknownApp, Code::UnsupportedForApp,
                    Code::InvalidState, Code::InvalidCode, Code::CodeUsed, Code::UserBlocked,
                    Code::RateLimited, Code::WechatError, Code::WechatUnavailable,
                    Code::StoreUnavailable, Code::WechatTimeout]),
                    "303", json!({"description": "To return_to (with wx_error=access_denied when the user declined)"}))
            }},
            "/v1/web/logout": { "post": {
                "summary": "Log the browser out: revokes the cookie's session, clears the cookie, 303 to return_to",
                "security": [{}, { "cookie": [] }],
                "parameters": [return_to],
                "responses": with(errors(&[Code::InvalidRequest, Code::Forbidden, Code::StoreUnavailable]),
                    "303", json!({"description": "To return_to"}))
            }},
            "/healthz": { "get": { "summary": "Liveness", "responses": {
                "200": ok_json("Serving", json!({"type": "object"})) } } },
            "/readyz": { "get": { "summary": "Readiness: the store answers", "responses": with(
                errors(&[Code::StoreUnavailable]), "200", ok_json("Ready", json!({"type": "object"}))) } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": {
                "200": { "description": "Text format 0.0.4",
                         "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/openapi.json": { "get": { "summary": "This document", "responses": {
                "200": ok_json("OpenAPI 3", json!({"type": "object"})) } } }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "wxs_ + 43 base64url characters" },
                "admin": { "type": "http", "scheme": "bearer", "description": "the admin token" },
                "cookie": { "type": "apiKey", "in": "cookie", "name": "__Host-wxs_session",
                    "description": "a web session; state changes need an allowed Origin" }
            },
            "schemas": schemas(apps)
        }
    });
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        paths.extend(apps::paths());
        paths.extend(component::paths());
    }
    document
}
