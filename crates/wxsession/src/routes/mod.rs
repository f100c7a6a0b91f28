//! Route table and request plumbing shared by the handlers: JSON limits, bearer tokens.

mod admin;
mod auth;
pub mod body;
mod current;
pub(crate) mod decrypt;
mod health;
mod openapi;
mod sessions;

use actix_web::{HttpRequest, web};
use secrecy::ExposeSecret as _;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Touched;
use crate::token::{SessionId, Token};

pub use openapi::{ROUTES, document as openapi_document};

pub use body::BODY_LIMIT;
use body::describe_json_error;

/// Registers the public API routes; the admin routes too unless they have their own listener.
/// `/metrics` is added by the caller (it may live on its own port).
pub fn configure(cfg: &mut web::ServiceConfig, with_admin: bool) {
    if with_admin {
        configure_admin(cfg);
    }
    cfg.app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
        .service(web::resource("/v1/sessions").post(sessions::login))
        .service(
            web::resource("/v1/sessions/current")
                .get(current::introspect)
                .delete(current::logout),
        )
        .service(web::resource("/v1/sessions/current/decrypt").post(decrypt::decrypt))
        .service(web::resource("/v1/auth").get(auth::forward_auth))
        .service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(web::resource("/openapi.json").get(openapi::serve));
}

/// Runs arbitrary bytes through the request-body parsing and validation the login and decrypt
/// handlers use (the JSON extractor's `serde_json` step, then the same checks). For fuzzing and
/// property tests: it must never panic, whatever the input.
pub fn check_request_bodies(bytes: &[u8]) -> [Result<(), ApiError>; 2] {
    let login = serde_json::from_slice::<sessions::LoginBody>(bytes)
        .map_err(|e| ApiError::InvalidRequest(describe_json_error(&e)))
        .and_then(|b| {
            b.code()?;
            b.user_data().map(|_| ())
        });
    let decrypt = serde_json::from_slice::<decrypt::DecryptRequest>(bytes)
        .map_err(|e| ApiError::InvalidRequest(describe_json_error(&e)))
        .and_then(|b| b.user_data().map(|_| ()));
    [login, decrypt]
}

/// The admin routes, for the API listener or the admin listener (`server.admin_bind`).
pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
        .service(
            web::resource("/v1/admin/apps/{appid}/users/{openid}/sessions")
                .delete(admin::revoke_all),
        );
}

/// `/metrics` for `audience`: the API listener publishes less than the operator's own.
pub fn configure_metrics(cfg: &mut web::ServiceConfig, audience: crate::metrics::Audience) {
    cfg.service(
        web::resource("/metrics")
            .app_data(web::Data::new(audience))
            .get(health::metrics),
    );
}

/// The default service: a JSON 404.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// The bearer token of a request, when it has a well-formed one. Tokens are only ever read from
/// the `Authorization` header, never from the URL.
pub fn bearer(req: &HttpRequest) -> Option<Token> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Token::parse(token.trim())
}

/// Validates the bearer token and slides its expiry: one store round trip.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<Touched, ApiError> {
    authenticate_id(state, req)
        .await
        .map(|(_, touched)| touched)
}

/// [`authenticate`], also returning the session's id.
pub async fn authenticate_id(
    state: &AppState,
    req: &HttpRequest,
) -> Result<(SessionId, Touched), ApiError> {
    let lookups = &state.metrics.session_lookups_total;
    let Some(token) = bearer(req) else {
        lookups.with_label_values(&["miss"]).inc();
        return Err(ApiError::InvalidSession);
    };
    let id = token.id();
    let found = state
        .store_op(
            "touch_session",
            state.store.touch_session(&id, state.idle_ttl_secs),
        )
        .await?;
    match found {
        Some(touched) => {
            lookups.with_label_values(&["hit"]).inc();
            Ok((id, touched))
        }
        None => {
            lookups.with_label_values(&["miss"]).inc();
            Err(ApiError::InvalidSession)
        }
    }
}

/// Who made an admin request: an id of the credential (never the credential itself).
#[derive(Debug, Clone)]
pub struct Credential {
    /// `admin:<first 12 hex characters of a hash of the token>`.
    pub id: String,
}

/// The fingerprint of a presented token, safe to log: a hash with its own label, cut short.
pub fn credential_id(kind: &str, token: &str) -> String {
    let digest = sha2::Sha256::digest(format!("wxsession/credential-id/v1\0{token}"));
    format!(
        "{kind}:{}",
        hex::encode(digest.get(..6).unwrap_or_default())
    )
}

/// Checks the admin bearer token in constant time: both sides are hashed first, so neither
/// the comparison nor its timing depends on the token's length. A disabled admin API is a 404;
/// no credentials at all are a 401, as HTTP wants; wrong ones a 403.
pub fn require_admin(state: &AppState, req: &HttpRequest) -> Result<Credential, ApiError> {
    let Some(expected) = &state.admin_token else {
        return Err(ApiError::NotFound);
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(ApiError::InvalidSession)?;
    let given_hash = sha2::Sha256::digest(given.as_bytes());
    let expected_hash = sha2::Sha256::digest(expected.expose_secret().as_bytes());
    if bool::from(given_hash.as_slice().ct_eq(expected_hash.as_slice())) {
        Ok(Credential {
            id: credential_id("admin", given),
        })
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The client's address, as the rate limits see it (see [`crate::limits::Limits::client_ip`]).
pub fn client_ip(state: &AppState, req: &HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(state.limits.client_ip(peer, &forwarded))
}

/// A required, non-empty string field.
pub fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::InvalidRequest(format!("{field} is required"))),
    }
}

/// Two fields that come together or not at all.
pub fn pair<'a>(
    a: (Option<&'a str>, &str),
    b: (Option<&'a str>, &str),
) -> Result<Option<(&'a str, &'a str)>, ApiError> {
    match (a.0, b.0) {
        (None, None) => Ok(None),
        (Some(x), Some(y)) if !x.is_empty() && !y.is_empty() => Ok(Some((x, y))),
        _ => Err(ApiError::InvalidRequest(format!(
            "{} and {} must be sent together and be non-empty",
            a.1, b.1
        ))),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::check_request_bodies;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = check_request_bodies(&bytes);
        }

        #[test]
        fn arbitrary_json_fields_never_panic(
            code in proptest::option::of(".{0,300}"),
            data in proptest::option::of("[A-Za-z0-9+/=_ -]{0,80}"),
            iv in proptest::option::of("[A-Za-z0-9+/=_ -]{0,30}"),
        ) {
            let body = serde_json::json!({"code": code, "encryptedData": data, "iv": iv});
            let results = check_request_bodies(body.to_string().as_bytes());
            for r in results {
                if let Err(e) = r {
                    prop_assert!(matches!(
                        e,
                        crate::error::ApiError::InvalidRequest(_) | crate::error::ApiError::UnknownApp
                    ));
                }
            }
        }
    }
}
