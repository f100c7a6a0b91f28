//! A code claimed under each of its ids: the expand step of the move from the legacy
//! derivation to HKDF ([`Derivation`]), so that no code is exchanged twice while releases that
//! claim different ids share one Redis.
//!
//! The rule, in a fleet of this release and either neighbour:
//! - 0.1.0 (and every release before this one) claims, opens and writes the legacy id only;
//!   the next release will claim, open and write the HKDF id only. They never share a fleet.
//! - This release makes the upstream call only while it holds both ids. Beside 0.1.0 the
//!   legacy id excludes, as it always did; beside the next release the HKDF id does. When an id
//!   is held or answered by someone else, the ids taken before it are given back, and the
//!   caller waits (and tries again from the first) or opens that answer with that id's key.
//! - It seals the answer under both ids (legacy: as 0.1.0 opens it; HKDF: as the next release
//!   opens it), so that a replay finds it whichever side it reaches.
//!
//! Both ids cannot be claimed in one atomic step on Redis Cluster: the legacy key,
//! `{prefix}:c:<hex>`, has no hash tag, so its slot is the hash of the whole key, and an HKDF
//! key could only be made to land in that slot by deriving the legacy id too, for as long as
//! the slot has to match. So the claim is two steps, and "both or give back" is what makes it
//! safe. The order, legacy first, is the same on every replica of this release (two of them
//! never each hold one id), and beside 0.1.0 — the fleet this release is deployed into — it
//! finds a claim or an answer in one round trip, as 0.1.0 does.

use super::derive::{Derivation, Purpose};
use super::seal::CodeSeal;
use crate::domain::Error;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;
use crate::store::CodeClaim;

/// The ids this release claims a code under, in this order. The contract release makes this
/// `[Derivation::Hkdf]`.
const CLAIMED: [Derivation; 2] = [Derivation::Legacy, Derivation::Hkdf];

/// A code's seals, one per claimed id, in claim order.
pub(super) type Seals = [CodeSeal; CLAIMED.len()];

/// The seals of `code` of `scope` for `purpose`.
pub(super) fn seals(purpose: Purpose, scope: &str, code: &str) -> Seals {
    CLAIMED.map(|derivation| CodeSeal::new(derivation, purpose, scope, code))
}

/// Where a code stands.
pub(super) enum Claimed<'a> {
    /// Every id is this caller's: it makes the upstream call.
    Acquired,
    /// Another caller is making it.
    Pending,
    /// The call was made: its answer, sealed under `seal`.
    Done { seal: &'a CodeSeal, sealed: Vec<u8> },
}

/// Claims every id of a code, in order, each for `lock_ttl_secs`. Whatever stops the claim
/// (another caller's claim or answer, a store error) releases the ids taken before it.
pub(super) async fn claim<'a>(
    state: &AppState,
    seals: &'a Seals,
    lock_ttl_secs: u64,
) -> Result<Claimed<'a>, Error> {
    for (taken, seal) in seals.iter().enumerate() {
        let claim = state
            .timed(
                StoreOp::ClaimCode,
                state.store.claim_code(seal.id(), lock_ttl_secs),
            )
            .await;
        let claimed = match claim {
            Ok(CodeClaim::Acquired) => continue,
            Ok(CodeClaim::Pending) => Ok(Claimed::Pending),
            Ok(CodeClaim::Done(sealed)) => Ok(Claimed::Done { seal, sealed }),
            Err(err) => Err(err.into()),
        };
        release(state, seals.iter().take(taken)).await;
        return claimed;
    }
    Ok(Claimed::Acquired)
}

/// Releases the claims of `seals`, the last taken first. Best effort: a claim expires by
/// itself otherwise.
pub(super) async fn release<'a>(
    state: &AppState,
    seals: impl DoubleEndedIterator<Item = &'a CodeSeal>,
) {
    for seal in seals.rev() {
        let _ = state
            .timed(StoreOp::ReleaseCode, state.store.release_code(seal.id()))
            .await;
    }
}

/// Seals `plain` under every id and keeps it `keep_secs`. Best effort: a store failure only
/// costs replays (and is logged and counted by `timed`).
pub(super) async fn finish(state: &AppState, seals: &Seals, plain: &[u8], keep_secs: u64) {
    for seal in seals {
        let Some(sealed) = seal.seal(plain) else {
            continue;
        };
        let _ = state
            .timed(
                StoreOp::FinishCode,
                state.store.finish_code(seal.id(), &sealed, keep_secs),
            )
            .await;
    }
}

/// A code this caller spent (a web login's code): its ids stay claimed until they expire,
/// unless [`Spent::release`]d for a retry.
#[derive(Debug)]
pub struct Spent {
    seals: Seals,
}

impl Spent {
    /// Gives the code back (the upstream call failed before WeChat spent it).
    pub async fn release(self, state: &AppState) {
        release(state, self.seals.iter()).await;
    }
}

/// Spends `code` of `scope` for `purpose`, kept `ttl_secs`: `None` when another caller spent
/// it (or is spending it) first.
pub async fn spend(
    state: &AppState,
    purpose: Purpose,
    scope: &str,
    code: &str,
    ttl_secs: u64,
) -> Result<Option<Spent>, Error> {
    let seals = seals(purpose, scope, code);
    let acquired = matches!(claim(state, &seals, ttl_secs).await?, Claimed::Acquired);
    Ok(acquired.then_some(Spent { seals }))
}
