//! Remembered numbers (`phone.remember_days`): WeChat charges for every successful phone
//! button, so the saving is not to show the button to a user whose number was verified
//! already. A verified number is kept per (appid, openid) for that many days from its
//! verification, sealed under the key-encryption keys (bound to the user and to its purpose),
//! never logged; the user (or an admin) can erase it at any time. Log-out-everywhere does not
//! erase it: it is about the person, not their sessions.
//!
//! Stored form, versioned: `p1|` then the key ring's sealed text of the JSON of
//! [`Remembered`]. Another version is not read (the user is asked again, as for no number).

use serde::{Deserialize, Serialize};

use super::Phone;
use crate::domain::Error;
use crate::domain::ids::{AppId, OpenId};
use crate::metrics::labels::{PhoneKnown, StoreOp};
use crate::state::AppState;

/// The record format this release writes and reads.
const VERSION: &str = "p1|";
/// The key ring's purpose label of a remembered number.
const PURPOSE: &str = "phone";

/// A remembered number and when WeChat verified it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Remembered {
    /// The number.
    #[serde(flatten)]
    pub phone: Phone,
    /// When it was verified (the lookup that WeChat answered), unix seconds.
    pub verified_at: i64,
}

impl std::fmt::Debug for Remembered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remembered")
            .field("verified_at", &self.verified_at)
            .finish_non_exhaustive()
    }
}

/// The stored form of `remembered` for the user; `None` when it cannot be sealed.
fn seal(state: &AppState, remembered: &Remembered, appid: &str, openid: &str) -> Option<Vec<u8>> {
    let plain = serde_json::to_vec(remembered).ok()?;
    let sealed = state.keyring.seal_for(PURPOSE, &plain, appid, openid)?;
    Some(format!("{VERSION}{sealed}").into_bytes())
}

/// What [`seal`] stored, opened; `None` for another version or a value no key opens.
fn open(state: &AppState, stored: &[u8], appid: &str, openid: &str) -> Option<Remembered> {
    let text = std::str::from_utf8(stored).ok()?.strip_prefix(VERSION)?;
    let plain = state.keyring.open_for(PURPOSE, text, appid, openid)?;
    serde_json::from_slice(&plain).ok()
}

/// Keeps a number WeChat just verified, when `phone.remember_days` is on. Best effort: the
/// user has their number either way; a failure is logged (never the number) and they are
/// asked again next time.
pub async fn keep(state: &AppState, appid: &AppId, openid: &OpenId, phone: &Phone) {
    let ttl = state.phone.remember_secs;
    if ttl == 0 {
        return;
    }
    let remembered = Remembered {
        phone: phone.clone(),
        verified_at: state.now_unix(),
    };
    let Some(sealed) = seal(state, &remembered, appid.as_str(), openid.as_str()) else {
        tracing::warn!(%appid, "a verified phone number could not be sealed: not remembered");
        return;
    };
    let stored = state
        .timed(
            StoreOp::Phone,
            state.store.remember_phone(appid, openid, &sealed, ttl),
        )
        .await;
    if stored.is_err() {
        tracing::warn!(%appid, "a verified phone number could not be stored: not remembered");
    }
}

/// The user's remembered number, if any (counted: a known number is a prompt saved).
pub async fn known(
    state: &AppState,
    appid: &AppId,
    openid: &OpenId,
) -> Result<Option<Remembered>, Error> {
    let found = if state.phone.remember_secs == 0 {
        None
    } else {
        let stored = state
            .timed(StoreOp::Phone, state.store.remembered_phone(appid, openid))
            .await?;
        stored.and_then(|s| open(state, &s, appid.as_str(), openid.as_str()))
    };
    let label = if found.is_some() {
        PhoneKnown::Known
    } else {
        PhoneKnown::Unknown
    };
    state
        .metrics
        .phone_known_total
        .with_label_values(&[appid.as_str(), label.as_str()])
        .inc();
    Ok(found)
}

/// Forgets the user's number (their right to erasure); true when there was one.
pub async fn forget(state: &AppState, appid: &AppId, openid: &OpenId) -> Result<bool, Error> {
    Ok(state
        .timed(StoreOp::Phone, state.store.forget_phone(appid, openid))
        .await?)
}
