//! The app registry's routes in the document: list, read, add or replace, delete.

use serde_json::{Value, json};

use super::{errors, with};
use crate::http::error::Code;

/// An app as the admin API shows it (never a secret).
fn app_schema() -> Value {
    json!({
        "type": "object",
        "required": ["appid", "kind", "source", "status", "access_token", "created_at", "updated_at"],
        "properties": {
            "appid": { "type": "string" },
            "kind": { "type": "string", "enum": ["miniprogram", "mobile", "website", "official_account"] },
            "source": { "type": "string", "enum": ["config", "runtime", "component"] },
            "status": { "type": "string", "enum": ["active", "unauthorized", "reauthorization_required"] },
            "access_token": { "type": "string", "enum": ["stable", "classic", "off"] },
            "scope": { "type": "string", "enum": ["snsapi_base", "snsapi_userinfo"] },
            "created_at": { "type": "integer", "description": "unix seconds (0: from the config)" },
            "updated_at": { "type": "integer", "description": "unix seconds (0: from the config)" }
        }
    })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// `/v1/admin/apps` and `/v1/admin/apps/{appid}`.
pub(super) fn paths() -> serde_json::Map<String, Value> {
    let appid =
        json!({ "name": "appid", "in": "path", "required": true, "schema": { "type": "string" } });
    let put_body = json!({
        "type": "object", "required": ["kind", "secret"], "additionalProperties": false,
        "properties": {
            "kind": { "type": "string", "enum": ["miniprogram", "mobile", "website", "official_account"] },
            "secret": { "type": "string", "pattern": "^[0-9a-fA-F]{32}$", "description": "the AppSecret, stored sealed, never shown again" },
            "access_token": { "type": "string", "enum": ["stable", "classic", "off"],
                "description": "mini-programs and official accounts only (default stable)" },
            "scope": { "type": "string", "enum": ["snsapi_base", "snsapi_userinfo"],
                "description": "official accounts only (default snsapi_userinfo)" }
        }
    });
    let read_errors = &[
        Code::InvalidRequest,
        Code::InvalidSession,
        Code::Forbidden,
        Code::NotFound,
        Code::StoreUnavailable,
    ];
    let mut put_responses = errors(&[
        Code::InvalidRequest,
        Code::InvalidSession,
        Code::Forbidden,
        Code::AppManagedElsewhere,
        Code::RequestTimeout,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::StoreUnavailable,
        Code::StoreNotDurable,
    ]);
    put_responses.insert("200".into(), ok("Replaced", app_schema()));
    put_responses.insert("201".into(), ok("Created", app_schema()));
    let mut paths = serde_json::Map::new();
    paths.insert("/v1/admin/apps".into(), json!({ "get": {
        "summary": "The apps served, in appid order, a page at a time (never a secret)",
        "security": [{ "admin": [] }],
        "parameters": [
            { "name": "cursor", "in": "query", "required": false, "schema": { "type": "string" },
              "description": "the previous page's next_cursor" },
            { "name": "limit", "in": "query", "required": false,
              "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }
        ],
        "responses": with(errors(read_errors), "200", ok("A page", json!({
            "type": "object", "required": ["apps"],
            "properties": { "apps": { "type": "array", "items": app_schema() },
                            "next_cursor": { "type": "string" } } })))
    }}));
    paths.insert("/v1/admin/apps/{appid}".into(), json!({
        "get": {
            "summary": "One app, from any source",
            "security": [{ "admin": [] }],
            "parameters": [appid.clone()],
            "responses": with(errors(read_errors), "200", ok("The app", app_schema()))
        },
        "put": {
            "summary": "Add or replace a runtime app; every replica serves it within 2 s",
            "security": [{ "admin": [] }],
            "parameters": [appid.clone()],
            "requestBody": { "required": true, "content": { "application/json": { "schema": put_body } } },
            "responses": put_responses
        },
        "delete": {
            "summary": "Delete a runtime app: its logins become unknown_app and its sessions invalid_session everywhere",
            "security": [{ "admin": [] }],
            "parameters": [appid],
            "responses": with(errors(&[
                Code::InvalidRequest, Code::InvalidSession, Code::Forbidden, Code::NotFound,
                Code::AppManagedElsewhere, Code::StoreUnavailable]),
                "204", json!({ "description": "Deleted" }))
        }
    }));
    paths
}
