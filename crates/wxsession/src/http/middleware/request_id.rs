//! The id of one request: the client's `x-request-id` when it is short and plain, else a fresh
//! one; echoed in the response, carried by the request's tracing span and every error body. On
//! the admin listener, where no proxy of ours stands in front and audit lines carry the id,
//! always a fresh one: a caller cannot give its request another request's id.

use std::cell::RefCell;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderName;

/// The id of one request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The header that carries it.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id for `req`.
pub fn request_id(req: &ServiceRequest) -> String {
    if req
        .app_data::<crate::http::caller::AdminListener>()
        .is_some()
    {
        return fresh();
    }
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

/// Random bytes drawn from the OS in batches, per thread: one `getrandom` call per
/// [`IDS_PER_DRAW`] ids instead of one per request (a UUID v4 per request read the OS random
/// source each time: 1 % of `/v1/auth`, measured).
struct Pool {
    bytes: [u8; 16 * IDS_PER_DRAW],
    used: usize,
}

const IDS_PER_DRAW: usize = 32;

impl Pool {
    /// The next 16 unused bytes; a spent batch is drawn again.
    fn take(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        if self.used + out.len() > self.bytes.len() {
            if getrandom::fill(&mut self.bytes).is_err() {
                // No OS randomness (never seen): SipHash under the process's random keys,
                // still unpredictable without them, and never a counter in the id.
                return fallback();
            }
            self.used = 0;
        }
        if let Some(fresh) = self.bytes.get(self.used..self.used + out.len()) {
            out.copy_from_slice(fresh);
        }
        self.used += out.len();
        out
    }
}

fn fallback() -> [u8; 16] {
    use std::hash::{BuildHasher as _, Hasher as _};
    let state = std::collections::hash_map::RandomState::new();
    let (a, mut b) = (state.build_hasher(), state.build_hasher());
    b.write_u8(1);
    (u128::from(a.finish()) << 64 | u128::from(b.finish())).to_be_bytes()
}

/// A fresh id: 128 random bits as 32 hex characters. Random, not a counter: ids tell nothing
/// of how many requests a replica served, nor which came before which.
fn fresh() -> String {
    thread_local! {
        static POOL: RefCell<Pool> = const {
            RefCell::new(Pool { bytes: [0; 16 * IDS_PER_DRAW], used: usize::MAX / 2 })
        };
    }
    let raw = POOL.with_borrow_mut(Pool::take);
    // Into a stack buffer, not through `format!` (which was 2.5 % of `/v1/auth`).
    let mut id = [0u8; 32];
    if hex::encode_to_slice(raw, &mut id).is_err() {
        return hex::encode(raw);
    }
    String::from_utf8_lossy(&id).into_owned()
}

#[cfg(test)]
mod tests {
    /// Consecutive ids share no counter: each pair differs in most of its 32 characters (random
    /// ids share about 2; a counter's share 30), and no prefix is common to all.
    #[test]
    fn fresh_ids_are_random_hex() {
        let ids: Vec<String> = (0..200).map(|_| super::fresh()).collect();
        for id in &ids {
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
        }
        for pair in ids.windows(2) {
            let [a, b] = pair else { continue };
            let same = a.bytes().zip(b.bytes()).filter(|(x, y)| x == y).count();
            assert!(same <= 16, "{a} and {b} share {same} positions");
        }
        let first = ids.first().expect("ids").as_bytes();
        assert!(ids.iter().any(|id| id.as_bytes().first() != first.first()));
    }

    #[test]
    fn the_fallback_is_random_too() {
        assert_ne!(super::fallback(), super::fallback());
    }
}
