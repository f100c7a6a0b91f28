//! The id of one request: the client's `x-request-id` when it is short and plain, else a fresh
//! one; echoed in the response, carried by the request's tracing span and every error body.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

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
        .map_or_else(fresh, str::to_owned)
}

/// A fresh id: 64 random bits drawn once per process, then a counter — unique across replicas
/// and restarts, 32 hex characters, and no system call per request (a UUID v4 per request read
/// the OS random source each time: 1 % of `/v1/auth`, measured).
fn fresh() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix =
        *PREFIX.get_or_init(|| getrandom::u64().unwrap_or_else(|_| std::process::id().into()));
    let counter = NEXT.fetch_add(1, Ordering::Relaxed);
    let raw = (u128::from(prefix) << 64 | u128::from(counter)).to_be_bytes();
    // Into a stack buffer, not through `format!` (which was 2.5 % of `/v1/auth`).
    let mut id = [0u8; 32];
    if hex::encode_to_slice(raw, &mut id).is_err() {
        return hex::encode(raw);
    }
    String::from_utf8_lossy(&id).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fresh_ids_are_unique_hex() {
        let (a, b) = (super::fresh(), super::fresh());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        // The counter is the last 16 digits, and it only grows.
        let n = |id: &str| u64::from_str_radix(id.get(16..).expect("32 digits"), 16).expect("hex");
        assert!(n(&b) > n(&a));
        assert_eq!(a.get(..16), b.get(..16));
    }
}
