//! The HTTP edge: the only layer that names actix-web. Routes parse and validate a request,
//! call one domain function and render its answer; [`error`] is the one table of what a
//! client sees; [`extract`] says who is asking.

pub mod body;
pub mod caller;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod server;

use actix_web::web;

pub use self::body::BODY_LIMIT;
use self::body::describe_json_error;
use self::error::{ApiError, Code};
pub use self::openapi::{ROUTES, document as openapi_document};
use self::routes::sessions::{create::LoginBody, decrypt::DecryptRequest};
use crate::domain::Error;
use crate::metrics::Audience;

/// Registers the public API routes; the admin routes too unless they have their own listener.
/// `/metrics` is added by the caller (it may live on its own port).
pub fn configure(cfg: &mut web::ServiceConfig, with_admin: bool) {
    // Resources match in registration order, and a path with `{…}` segments is a regex: the
    // hot static paths come first, the admin patterns last.
    routes::forward_auth::configure(cfg);
    routes::sessions::configure(cfg);
    routes::health::configure(cfg);
    routes::web::configure(cfg);
    routes::component::configure(cfg);
    cfg.service(web::resource("/openapi.json").get(openapi::serve));
    if with_admin {
        routes::admin::configure(cfg);
    }
}

/// `GET /`, the demo page of `dev`.
pub fn configure_demo(cfg: &mut web::ServiceConfig) {
    routes::demo::configure(cfg);
}

/// The admin routes alone, for the admin listener (`server.admin_bind`).
pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    routes::admin::configure(cfg);
}

/// `/metrics` for `audience`: the API listener publishes less than the operator's own.
pub fn configure_metrics(cfg: &mut web::ServiceConfig, audience: Audience) {
    routes::metrics::configure(cfg, audience);
}

/// The default service: a JSON 404.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(Code::NotFound.into())
}

/// Runs arbitrary bytes through the request-body parsing and validation the login and decrypt
/// handlers use (the JSON step, then the same checks). For fuzzing and property tests: it must
/// never panic, whatever the input.
pub fn check_request_bodies(bytes: &[u8]) -> [Result<(), Error>; 2] {
    let json_error = |e: serde_json::Error| Error::InvalidInput(describe_json_error(&e));
    let login = serde_json::from_slice::<LoginBody>(bytes)
        .map_err(json_error)
        .and_then(|b| {
            b.code()?;
            b.user_data().map(|_| ())
        });
    let decrypt = serde_json::from_slice::<DecryptRequest>(bytes)
        .map_err(json_error)
        .and_then(|b| b.user_data().map(|_| ()));
    [login, decrypt]
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
                        crate::domain::Error::InvalidInput(_) | crate::domain::Error::UnknownApp
                    ));
                }
            }
        }
    }
}
