//! Sessions after login: authenticate a token (from this replica's cache while the store's
//! change feed is live, else one store round trip; sliding expiry), log out, log a user out
//! everywhere; each counted.

use super::Error;
use super::ids::{AppId, OpenId};
use super::token::{SessionId, Token};
use crate::metrics::labels::{LookupResult, StoreOp};
use crate::state::AppState;
use crate::store::Touched;

/// An authenticated session: its id and what the lookup found.
#[derive(Debug, Clone)]
pub struct Current {
    /// The session's storage id.
    pub id: SessionId,
    /// The session and its new idle TTL.
    pub touched: Touched,
}

/// Validates a presented token (`None`: none or a malformed one) and slides its expiry.
pub async fn authenticate(state: &AppState, token: Option<Token>) -> Result<Current, Error> {
    let Some(token) = token else {
        state.metrics.lookup(LookupResult::Miss);
        return Err(Error::InvalidSession);
    };
    let id = token.id();
    // Memory first: no deadline, no store metrics, no await (`store::cache`). Whatever the
    // answer came from, the checks below apply to it alike.
    let found = match state.store.session_cache().and_then(|c| c.get(&id)) {
        Some(touched) => Some(touched),
        None => {
            state
                .timed(
                    StoreOp::TouchSession,
                    state.store.touch_session(&id, state.idle_ttl_secs),
                )
                .await?
        }
    };
    match found {
        // A session of an app deleted (or withdrawn by its merchant) since is dead: the
        // registry is in memory, so this costs no store call.
        Some(touched) if state.apps.admits(&touched.record) => {
            state.metrics.lookup(LookupResult::Hit);
            Ok(Current { id, touched })
        }
        _ => {
            state.metrics.lookup(LookupResult::Miss);
            Err(Error::InvalidSession)
        }
    }
}

/// Deletes the session: dead on this replica at once (the store drops it from the local cache
/// before it answers), on the others as soon as Redis' change feed reaches them.
pub async fn logout(state: &AppState, token: Option<Token>) -> Result<(), Error> {
    let token = token.ok_or(Error::InvalidSession)?;
    let existed = state
        .timed(
            StoreOp::DeleteSession,
            state.store.delete_session(&token.id()),
        )
        .await?;
    if !existed {
        return Err(Error::InvalidSession);
    }
    state.metrics.sessions_revoked_total.inc();
    Ok(())
}

/// Revokes every session of `(appid, openid)`; how many there were.
pub async fn revoke_user(state: &AppState, appid: &AppId, openid: &OpenId) -> Result<u64, Error> {
    let revoked = state
        .timed(StoreOp::RevokeUser, state.store.revoke_user(appid, openid))
        .await?;
    state.metrics.sessions_revoked_total.inc_by(revoked);
    Ok(revoked)
}
