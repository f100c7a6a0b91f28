//! A started browser login, sealed into its `state` cookie: nothing is stored until WeChat
//! sends the browser back. The cookie holds the `state` sent to WeChat, where to return and
//! when the login expires, sealed (AES-256-GCM, the appid authenticated beside it) under keys
//! every replica shares. A callback must bring the cookie and the same `state`: a login started
//! in another browser, forged, expired or of another app fails.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use crate::domain::keys::KeyRing;

/// How long a started login may take (WeChat's own codes live 5 minutes).
pub const STATE_TTL_SECS: u64 = 600;

/// What the AEAD authenticates beside the appid: a state cookie opens as nothing else (stored
/// `session_key` values authenticate an openid there, which never holds a `/`).
const PURPOSE: &str = "web-state/v1";

/// The format of the sealed state; a later release reads this one until its states expire.
const VERSION: u8 = 1;

/// What the cookie carries.
#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(rename = "v")]
    version: u8,
    #[serde(rename = "n")]
    nonce: String,
    #[serde(rename = "x")]
    expires_at: i64,
    #[serde(rename = "r")]
    return_to: String,
}

/// A login's state: the `nonce` for WeChat's `state` parameter and the cookie binding it to
/// the browser.
#[derive(Debug)]
pub struct NewState {
    /// 32 hex characters, sent to WeChat and back.
    pub nonce: String,
    /// The cookie's value.
    pub cookie: String,
}

/// Seals a new state of `appid` returning to `return_to`, valid until `now + STATE_TTL_SECS`.
pub fn seal(keys: &KeyRing, appid: &str, return_to: &str, now: i64) -> anyhow::Result<NewState> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("OS random source failed: {e}"))?;
    let nonce = hex::encode(raw);
    let plain = serde_json::to_string(&Sealed {
        version: VERSION,
        nonce: nonce.clone(),
        expires_at: now.saturating_add(STATE_TTL_SECS as i64),
        return_to: return_to.to_owned(),
    })?;
    let cookie = keys
        .seal(&plain, appid, PURPOSE)
        .filter(|_| keys.is_enabled())
        .ok_or_else(|| anyhow::anyhow!("no web state key to seal with"))?;
    Ok(NewState { nonce, cookie })
}

/// Where to return, when `cookie` is a live state of `appid` sealed by one of `keys` and
/// `given` (the callback's `state`) is its nonce.
pub fn open(keys: &KeyRing, appid: &str, cookie: &str, given: &str, now: i64) -> Option<String> {
    let plain = keys.open(cookie, appid, PURPOSE)?;
    let sealed: Sealed = serde_json::from_str(&plain).ok()?;
    let same = bool::from(sealed.nonce.as_bytes().ct_eq(given.as_bytes()));
    (sealed.version == VERSION && same && now < sealed.expires_at).then_some(sealed.return_to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0000000000000000000000000000000000000000000000000000000000000007";
    const OTHER: &str = "0000000000000000000000000000000000000000000000000000000000000008";

    fn ring(keys: &[&str]) -> KeyRing {
        KeyRing::new(keys.iter().copied())
            .expect("keys")
            .require_encrypted(true)
    }

    #[test]
    fn a_state_opens_for_its_app_nonce_and_lifetime_only() {
        let keys = ring(&[KEY]);
        let s = seal(&keys, "wxa", "/me?x=1", 1000).expect("seals");
        assert_eq!(s.nonce.len(), 32);
        assert!(!s.cookie.contains("/me"), "the cookie is not readable");
        assert_eq!(
            open(&keys, "wxa", &s.cookie, &s.nonce, 1000).as_deref(),
            Some("/me?x=1")
        );
        let late = 1000 + STATE_TTL_SECS as i64;
        assert_eq!(open(&keys, "wxa", &s.cookie, &s.nonce, late), None);
        assert_eq!(open(&keys, "wxb", &s.cookie, &s.nonce, 1000), None);
        assert_eq!(open(&keys, "wxa", &s.cookie, &"0".repeat(32), 1000), None);
        assert_eq!(
            open(&ring(&[OTHER]), "wxa", &s.cookie, &s.nonce, 1000),
            None
        );
        // A rotation: the new key seals, the old one still opens.
        let rotated = ring(&[OTHER, KEY]);
        assert!(open(&rotated, "wxa", &s.cookie, &s.nonce, 1000).is_some());
    }

    #[test]
    fn an_unsealed_or_tampered_cookie_never_opens() {
        let keys = ring(&[KEY]);
        let s = seal(&keys, "wxa", "/", 0).expect("seals");
        let forged = format!(r#"{{"v":1,"n":"{}","x":99,"r":"/"}}"#, s.nonce);
        assert_eq!(open(&keys, "wxa", &forged, &s.nonce, 0), None);
        let mut tampered = s.cookie.clone().into_bytes();
        if let Some(last) = tampered.last_mut() {
            *last = if *last == b'A' { b'B' } else { b'A' };
        }
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert_eq!(open(&keys, "wxa", &tampered, &s.nonce, 0), None);
        assert!(seal(&KeyRing::default(), "wxa", "/", 0).is_err());
    }
}
