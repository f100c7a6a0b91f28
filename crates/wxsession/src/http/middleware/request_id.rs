//! The id of one request: the client's `x-request-id` when it is short and plain, else a fresh
//! UUID; echoed in the response, carried by the request's tracing span and every error body.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderName;

/// The id of one request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The header that carries it.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id for `req`.
pub fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}
