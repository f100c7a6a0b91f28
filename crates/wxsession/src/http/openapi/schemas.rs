//! The component schemas of the OpenAPI document: request bodies as exactly as the service
//! validates them, and `return_to`'s pattern.

use serde_json::{Value, json};

use super::Apps;
use crate::http::error::Code;

/// Canonical standard base64 of exactly 16 bytes (the last character carries 2 data bits).
const B64_16: &str = "^[A-Za-z0-9+/]{21}[AQgw]==$";
/// Canonical standard base64 of a non-zero multiple of 16 bytes.
const B64_BLOCKS: &str = "^(?:[A-Za-z0-9+/]{64})*(?:[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{21}[AQgw]==|[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)$";

/// `return_to`'s pattern: empty (`/`), a path (`/`, then no `/` or `\\`), or a URL on one of `origins`; no
/// whitespace, control character or backslash anywhere (`domain::web::check_return_to`).
pub(super) fn return_to_pattern(origins: &[String]) -> String {
    let tail = r"[^\s\\\u0000-\u001f\u007f-\u009f]";
    // Empty means the default, `/`.
    let mut alternatives = vec![format!("/(?![/\\\\]){tail}*|/|")];
    for origin in origins {
        let escaped: String = origin
            .chars()
            .map(|c| {
                if ".[]{}()*+?^$|\\-".contains(c) {
                    format!("\\{c}")
                } else {
                    c.to_string()
                }
            })
            .collect();
        alternatives.push(format!("{escaped}(?:[/?#]{tail}*)?"));
    }
    format!("^(?:{})$", alternatives.join("|"))
}

/// The component schemas.
pub(super) fn schemas(apps: &Apps<'_>) -> Value {
    let s = json!({ "type": "string" });
    let data = json!({ "type": "string", "pattern": B64_BLOCKS });
    let iv = json!({ "type": "string", "pattern": B64_16 });
    let raw = json!({ "type": "string", "minLength": 1 });
    let sig = json!({ "type": "string", "pattern": "^[0-9a-fA-F]{40}$" });
    let code = json!({
        "type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"
    });
    // encryptedData comes with iv, rawData with signature: the shapes of one object.
    // Unknown fields are ignored (mini-programs send extras such as cloudID), so the shapes
    // exclude each other with `not` rather than with additionalProperties.
    let absent = |names: &[&str]| json!({ "not": { "anyOf": names.iter().map(|n| json!({ "required": [n] })).collect::<Vec<_>>() } });
    // `plain`: the base of the variant without user data (`None`: not allowed); `base`: the
    // base of the variants with user data (`None`: not allowed).
    let shapes =
        |plain: Option<&[(&str, &Value)]>, base: Option<&[(&str, &Value)]>, required: &[&str]| {
            let variant = |base: &[(&str, &Value)],
                           fields: &[(&str, &Value)],
                           extra: &[&str],
                           missing: &[&str]| {
                let properties: serde_json::Map<String, Value> = base
                    .iter()
                    .chain(fields)
                    .map(|(name, schema)| ((*name).to_owned(), (*schema).clone()))
                    .collect();
                let mut req: Vec<&str> = required.to_vec();
                req.extend_from_slice(extra);
                let mut v = json!({ "type": "object", "properties": properties, "required": req });
                if !missing.is_empty()
                    && let Some(object) = v.as_object_mut()
                {
                    object.insert("allOf".to_owned(), json!([absent(missing)]));
                }
                v
            };
            let mut variants = Vec::new();
            if let Some(plain) = plain {
                variants.push(variant(
                    plain,
                    &[],
                    &[],
                    &["encryptedData", "iv", "rawData", "signature"],
                ));
            }
            if let Some(base) = base {
                variants.push(variant(
                    base,
                    &[("encryptedData", &data), ("iv", &iv)],
                    &["encryptedData", "iv"],
                    &["rawData", "signature"],
                ));
                variants.push(variant(
                    base,
                    &[
                        ("encryptedData", &data),
                        ("iv", &iv),
                        ("rawData", &raw),
                        ("signature", &sig),
                    ],
                    &["encryptedData", "iv", "rawData", "signature"],
                    &[],
                ));
            }
            json!({ "oneOf": variants })
        };
    // Who logs in here (mini-programs, mobile apps), and who may send user data (mini-programs).
    // Redacted: any string, and both shapes offered.
    let one_of = |list: &[&str]| {
        if apps.redacted {
            json!({ "type": "string" })
        } else {
            json!({ "type": "string", "enum": list })
        }
    };
    let login_appid = one_of(if apps.login.is_empty() {
        &apps.all
    } else {
        &apps.login
    });
    let keyed_appid = one_of(&apps.keyed);
    let plain_base = [("code", &code), ("appid", &login_appid)];
    let keyed_base = [("code", &code), ("appid", &keyed_appid)];
    // With one app the appid may be omitted; with several it is required.
    let login_required: &[&str] = if apps.all.len() == 1 {
        &["code"]
    } else {
        &["code", "appid"]
    };
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message", "request_id"],
                "properties": {
                    "code": { "type": "string", "enum": Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>() },
                    "message": s, "request_id": s } } }
        },
        "LoginRequest": shapes(
            Some(&plain_base[..]),
            (apps.redacted || !apps.keyed.is_empty()).then_some(&keyed_base[..]),
            login_required,
        ),
        "DecryptRequest": shapes(None, Some(&[]), &[]),
        "PhoneRequest": {
            "type": "object", "required": ["code"],
            "properties": { "code": { "type": "string", "minLength": 1, "maxLength": 256 } }
        },
        "Phone": {
            "type": "object", "required": ["phoneNumber", "purePhoneNumber", "countryCode"],
            "properties": { "phoneNumber": s, "purePhoneNumber": s, "countryCode": s }
        },
        "RememberedPhone": {
            "type": "object",
            "required": ["phoneNumber", "purePhoneNumber", "countryCode", "verified_at"],
            "properties": { "phoneNumber": s, "purePhoneNumber": s, "countryCode": s,
                "verified_at": { "type": "integer", "description": "unix seconds: when WeChat verified it" } }
        },
        "Login": {
            "type": "object", "required": ["session", "expires_in", "appid", "openid"],
            "properties": {
                "session": s, "expires_in": { "type": "integer" }, "appid": s, "openid": s,
                "unionid": s, "user": { "type": "object" },
                "user_error": { "type": "object", "properties": { "code": s, "message": s } }
            }
        },
        "Union": {
            "type": "object", "required": ["unionid", "accounts", "sessions"],
            "properties": {
                "unionid": s,
                "accounts": { "type": "array", "items": {
                    "type": "object", "required": ["appid", "kind", "openid", "last_login"],
                    "properties": {
                        "appid": s,
                        "kind": { "type": "string", "nullable": true,
                                  "enum": ["miniprogram", "mobile", "website", "official_account", null] },
                        "openid": s,
                        "last_login": { "type": "integer", "description": "unix seconds" } } } },
                "sessions": { "type": "integer", "minimum": 0 }
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
