//! One person across the team's WeChat apps: the accounts a unionid links (from the index each
//! login with a unionid updates), their live sessions, and logging the person out everywhere.

use super::Error;
use super::ids::UnionId;
use crate::metrics::labels::StoreOp;
use crate::settings::AppKind;
use crate::state::AppState;
use crate::store::UnionAccount;

/// A person's accounts.
#[derive(Debug)]
pub struct Person {
    /// Each account, newest login first, with its app's kind (`None`: the app is no longer
    /// configured).
    pub accounts: Vec<(UnionAccount, Option<AppKind>)>,
    /// Live sessions across all of them.
    pub sessions: u64,
}

async fn accounts(state: &AppState, unionid: &UnionId) -> Result<Vec<UnionAccount>, Error> {
    let fut = state.store.union_accounts(unionid, state.max_lifetime_secs);
    Ok(state.timed(StoreOp::Union, fut).await?)
}

/// The person's accounts and live sessions.
pub async fn person(state: &AppState, unionid: &UnionId) -> Result<Person, Error> {
    let mut out = Person {
        accounts: Vec::new(),
        sessions: 0,
    };
    for account in accounts(state, unionid).await? {
        let fut = state.store.live_sessions(&account.appid, &account.openid);
        out.sessions += state.timed(StoreOp::Union, fut).await?;
        let kind = state.apps.get(account.appid.as_str()).map(|a| a.kind);
        out.accounts.push((account, kind));
    }
    Ok(out)
}

/// Logs the person out of every app; how many sessions died.
pub async fn revoke(state: &AppState, unionid: &UnionId) -> Result<u64, Error> {
    let mut revoked = 0;
    for account in accounts(state, unionid).await? {
        revoked += super::session::revoke_user(state, &account.appid, &account.openid).await?;
    }
    Ok(revoked)
}
