//! One code, one upstream call, one sealed answer — across every replica.
//!
//! WeChat's one-time codes (a `wx.login` code today; phone and OAuth codes next) must be spent
//! once however often a client presents them: a retry, a double tap, two replicas racing. The
//! first caller claims the code in the store (`SET NX`), makes the one upstream call, and seals
//! the answer there for the code's lifetime, under a key derived from the code itself (so the
//! store never holds a usable answer in the clear). Everyone else waits for that answer, or
//! finds it, and opens it. A transient failure releases the claim, so that a retry can try again.
//! A code has two ids while the derivation moves to HKDF; `claim` says how both are held.

mod claim;
mod derive;
mod seal;

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use self::claim::{Claimed, Seals};
pub use self::claim::{Spent, spend};
pub use self::derive::{Derivation, Purpose};
pub use self::seal::CodeSeal;
use super::Error;
use crate::state::AppState;

/// A sealed answer lives as long as WeChat's codes do (5 minutes).
pub const ANSWER_TTL_SECS: u64 = 300;

/// What the first caller's work produced: the part to seal for later callers, and its own
/// answer (which may hold more than is worth sealing).
#[derive(Debug)]
pub struct Done<T, R> {
    /// Sealed and handed to every later caller.
    pub sealed: T,
    /// Handed to this caller only.
    pub fresh: R,
}

/// What a caller gets.
#[derive(Debug)]
pub enum Answer<T, R> {
    /// This caller made the upstream call.
    Fresh(R),
    /// Another caller did; this is its sealed answer.
    Replayed(T),
}

/// Runs `work` once for `code` (of `scope`, e.g. the appid, for `purpose`) across every replica.
/// `work` returning `Err` releases the code for a retry; `Ok` seals its answer for later callers.
/// A caller that waits longer than `state.code_wait` for another's answer gets
/// `WechatUnavailable`.
pub async fn once<T, R, F, Fut>(
    state: &AppState,
    purpose: Purpose,
    scope: &str,
    code: &str,
    work: F,
) -> Result<Answer<T, R>, Error>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Done<T, R>, Error>>,
{
    once_with(state, purpose, scope, code, None, ANSWER_TTL_SECS, work).await
}

/// [`once`], where a caller that finds the answer already sealed — without having waited for
/// it — gets `finished()` instead of a replay: the answer is shared by presentations at the
/// same time only (a browser loading one callback twice), never handed to a later one. The
/// answer is kept `keep_secs`: as long as whatever is presented (a web login's state) is valid.
pub async fn once_while_pending<T, R, F, Fut>(
    state: &AppState,
    purpose: Purpose,
    scope: &str,
    code: &str,
    (finished, keep_secs): (fn() -> Error, u64),
    work: F,
) -> Result<Answer<T, R>, Error>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Done<T, R>, Error>>,
{
    once_with(state, purpose, scope, code, Some(finished), keep_secs, work).await
}

async fn once_with<T, R, F, Fut>(
    state: &AppState,
    purpose: Purpose,
    scope: &str,
    code: &str,
    finished: Option<fn() -> Error>,
    keep_secs: u64,
    work: F,
) -> Result<Answer<T, R>, Error>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Done<T, R>, Error>>,
{
    let mut waited = false;
    let seals = claim::seals(purpose, scope, code);
    let lock_ttl = state.code_wait.as_secs().max(1) + 5;
    let deadline = Instant::now() + state.code_wait;
    let mut pause = Duration::from_millis(10);
    loop {
        match claim::claim(state, &seals, lock_ttl).await? {
            Claimed::Acquired => {
                return run(state, &seals, keep_secs, work).await.map(Answer::Fresh);
            }
            Claimed::Done { .. } if !waited && let Some(finished) = finished => {
                return Err(finished());
            }
            Claimed::Done { seal, sealed } => return open(seal, &sealed).map(Answer::Replayed),
            Claimed::Pending if Instant::now() >= deadline => {
                return Err(Error::WechatUnavailable);
            }
            Claimed::Pending => {
                waited = true;
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
        }
    }
}

async fn run<T, R, F, Fut>(
    state: &AppState,
    seals: &Seals,
    keep_secs: u64,
    work: F,
) -> Result<R, Error>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Done<T, R>, Error>>,
{
    match work().await {
        Ok(done) => {
            if let Ok(plain) = serde_json::to_vec(&done.sealed) {
                claim::finish(state, seals, &plain, keep_secs).await;
            }
            Ok(done.fresh)
        }
        Err(err) => {
            claim::release(state, seals.iter()).await;
            Err(err)
        }
    }
}

fn open<T: DeserializeOwned>(seal: &CodeSeal, sealed: &[u8]) -> Result<T, Error> {
    let plain = seal
        .open(sealed)
        .ok_or_else(|| anyhow::anyhow!("a sealed code answer did not authenticate"))?;
    serde_json::from_slice(&plain)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("a sealed code answer: {e}")))
}
