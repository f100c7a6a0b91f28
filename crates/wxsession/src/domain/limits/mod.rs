//! Rate limits shared by every replica through the store: logins per client address and decrypt
//! failures per session, in fixed one-minute windows.

use std::net::IpAddr;

pub mod policy;

pub use self::policy::Limits;
use self::policy::bucket;
use super::Error;
use super::clock::now_unix;
use super::token::SessionId;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

const WINDOW_SECS: u64 = 60;

/// The current window's index and the seconds left in it.
fn window() -> (i64, u64) {
    let now = now_unix();
    let secs = WINDOW_SECS as i64;
    (now / secs, (secs - now.rem_euclid(secs)).unsigned_abs())
}

/// Counts a login from `ip`; `429` once the minute's budget is spent.
pub async fn login_attempt(state: &AppState, ip: IpAddr) -> Result<(), Error> {
    let limit = state.limits.login_per_ip;
    if limit == 0 {
        return Ok(());
    }
    let (index, left) = window();
    let key = format!("ip:{}:{index}", bucket(ip));
    let count = state
        .timed(StoreOp::RateLimit, state.store.hit(&key, WINDOW_SECS))
        .await?;
    if count > limit {
        return Err(Error::RateLimited { retry_after: left });
    }
    Ok(())
}

/// A decrypt's claim on its session's failure budget: taken before the attempt (increment,
/// then decide, so that concurrent attempts cannot all pass one check), given back when the
/// attempt succeeds.
#[derive(Debug)]
#[must_use]
pub struct DecryptClaim(Option<String>);

/// Takes one unit of the session's failure budget; `429` when it is spent.
pub async fn claim_decrypt(state: &AppState, id: &SessionId) -> Result<DecryptClaim, Error> {
    let limit = state.limits.decrypt_failures_per_session;
    if limit == 0 {
        return Ok(DecryptClaim(None));
    }
    let (index, left) = window();
    let key = format!("df:{}:{index}", id.as_str());
    let count = state
        .timed(StoreOp::RateLimit, state.store.hit(&key, WINDOW_SECS))
        .await?;
    if count > limit {
        return Err(Error::RateLimited { retry_after: left });
    }
    Ok(DecryptClaim(Some(key)))
}

impl DecryptClaim {
    /// The attempt succeeded: its unit goes back to the budget. Best effort.
    pub async fn succeeded(self, state: &AppState) {
        if let Some(key) = self.0 {
            let _ = state
                .timed(StoreOp::RateLimit, state.store.unhit(&key))
                .await;
        }
    }
}
