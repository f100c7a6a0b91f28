//! Rate limits shared by every replica through the store, in fixed one-minute windows: logins
//! and browser logins per client address; decrypt failures, phone lookups and key-status checks
//! per session.

use std::net::IpAddr;

pub mod policy;

pub use self::policy::Limits;
use self::policy::bucket;
use super::Error;
use super::token::SessionId;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

const WINDOW_SECS: u64 = 60;

/// The current window's index and the seconds left in it, on the service's clock.
fn window(state: &AppState) -> (i64, u64) {
    let now = state.now_unix();
    let secs = WINDOW_SECS as i64;
    (now / secs, (secs - now.rem_euclid(secs)).unsigned_abs())
}

/// Counts one hit of `key`'s fixed one-minute window; `429` once more than `limit` came in it
/// (0: no limit, nothing counted).
async fn hit(state: &AppState, kind: &str, subject: &str, limit: u64) -> Result<(), Error> {
    if limit == 0 {
        return Ok(());
    }
    let (index, left) = window(state);
    let key = format!("{kind}:{subject}:{index}");
    let count = state
        .timed(StoreOp::RateLimit, state.store.hit(&key, WINDOW_SECS))
        .await?;
    if count > limit {
        return Err(Error::RateLimited { retry_after: left });
    }
    Ok(())
}

/// Counts a login from `ip`; `429` once the minute's budget is spent.
pub async fn login_attempt(state: &AppState, ip: IpAddr) -> Result<(), Error> {
    hit(state, "ip", &bucket(ip), state.limits.login_per_ip).await
}

/// Counts a browser login's start or callback from `ip` (one budget for both).
pub async fn web_login_attempt(state: &AppState, ip: IpAddr) -> Result<(), Error> {
    hit(state, "wip", &bucket(ip), state.limits.web_login_per_ip).await
}

/// Counts a phone-number lookup of a session.
pub async fn phone_lookup(state: &AppState, id: &SessionId) -> Result<(), Error> {
    let limit = state.limits.phone_lookups_per_session;
    hit(state, "ph", id.as_str(), limit).await
}

/// Counts a `key-status` check of a session.
pub async fn key_status_check(state: &AppState, id: &SessionId) -> Result<(), Error> {
    let limit = state.limits.key_status_per_session;
    hit(state, "ks", id.as_str(), limit).await
}

/// A session's decrypt-failure budget for this minute, checked before an attempt.
#[derive(Debug)]
#[must_use]
pub struct DecryptBudget(Option<(String, u64)>);

/// `429` when the session has used up its decrypt failures for this minute. The check is
/// cheap and may race; [`DecryptBudget::failed`] decides for sure.
pub async fn decrypt_budget(state: &AppState, id: &SessionId) -> Result<DecryptBudget, Error> {
    let limit = state.limits.decrypt_failures_per_session;
    if limit == 0 {
        return Ok(DecryptBudget(None));
    }
    let (index, left) = window(state);
    let key = format!("df:{}:{index}", id.as_str());
    let count = state
        .timed(StoreOp::RateLimit, state.store.count(&key))
        .await?;
    if count >= limit {
        return Err(Error::RateLimited { retry_after: left });
    }
    Ok(DecryptBudget(Some((key, left))))
}

impl DecryptBudget {
    /// A failed attempt: counted (increment, then decide), so that however many attempts race
    /// past the check, only `limit` failures per minute are ever answered as such; the rest
    /// get `429`. Successes never touch the budget.
    pub async fn failed(self, state: &AppState, err: Error) -> Error {
        let Some((key, left)) = self.0 else {
            return err;
        };
        let limit = state.limits.decrypt_failures_per_session;
        match state
            .timed(StoreOp::RateLimit, state.store.hit(&key, WINDOW_SECS))
            .await
        {
            Ok(count) if count > limit => Error::RateLimited { retry_after: left },
            Ok(_) => err,
            Err(store) => store.into(),
        }
    }
}
