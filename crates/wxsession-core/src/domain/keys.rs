//! Optional encryption of `session_key` at rest (AES-256-GCM). The first key encrypts; every key
//! decrypts, so keys rotate without logging anyone out: add the new key first, keep the old one
//! for `session.max_lifetime_secs`, then drop it. A stored value names its key by id, and the
//! (appid, openid) it belongs to is authenticated, so values cannot be moved between users.
//! Values stored before encryption was turned on (plain base64 keys) are still read.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::Digest as _;

const PREFIX: &str = "e1.";

/// The key-encryption keys, newest first. Empty: values are stored as WeChat sent them.
#[derive(Default)]
pub struct KeyRing {
    keys: Vec<(String, Aes256Gcm)>,
    strict: bool,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("KeyRing")
            .field("key_ids", &ids)
            .field("strict", &self.strict)
            .finish()
    }
}

/// Why a key file was refused.
#[derive(Debug, thiserror::Error)]
#[error("a key-encryption key must be 32 bytes, as base64 or 64 hex characters")]
pub struct BadKey;

impl KeyRing {
    /// Builds the ring from key texts (base64 or hex of 32 bytes), newest first.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Self, BadKey> {
        let mut keys = Vec::new();
        for text in texts {
            let text = text.trim();
            let bytes = hex::decode(text)
                .ok()
                .or_else(|| STANDARD.decode(text).ok())
                .filter(|b| b.len() == 32)
                .ok_or(BadKey)?;
            let id = hex::encode(sha2::Sha256::digest(&bytes).get(..4).unwrap_or_default());
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| BadKey)?;
            keys.push((id, cipher));
        }
        Ok(Self {
            keys,
            strict: false,
        })
    }

    /// With `strict`, plaintext values (stored before encryption was turned on) are refused:
    /// for after a migration, so that a value written into Redis by someone else is not used.
    pub fn require_encrypted(self, strict: bool) -> Self {
        Self { strict, ..self }
    }

    /// Whether values are encrypted.
    pub fn is_enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The stored form of `session_key` for `(appid, openid)`.
    pub fn seal(&self, session_key: &str, appid: &str, openid: &str) -> Option<String> {
        if self.keys.is_empty() {
            return Some(session_key.to_owned());
        }
        self.seal_bound(session_key.as_bytes(), &format!("{appid}\0{openid}"))
    }

    /// The `session_key` from its stored form; `None` when no configured key opens it.
    pub fn open(&self, stored: &str, appid: &str, openid: &str) -> Option<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return (!self.strict).then(|| stored.to_owned());
        };
        let plain = self.open_bound(rest, &format!("{appid}\0{openid}"))?;
        String::from_utf8(plain).ok()
    }

    /// Seals `plain` of another kind than a `session_key` for `(appid, openid)`: `purpose`
    /// (e.g. `phone`) is authenticated with the user, so that one kind of value cannot pass
    /// for another. `None` without keys: such values are never stored in the clear.
    pub fn seal_for(
        &self,
        purpose: &str,
        plain: &[u8],
        appid: &str,
        openid: &str,
    ) -> Option<String> {
        if self.keys.is_empty() {
            return None;
        }
        self.seal_bound(plain, &format!("{purpose}\0{appid}\0{openid}"))
    }

    /// Opens what [`KeyRing::seal_for`] sealed with the same purpose and user.
    pub fn open_for(
        &self,
        purpose: &str,
        stored: &str,
        appid: &str,
        openid: &str,
    ) -> Option<Vec<u8>> {
        let rest = stored.strip_prefix(PREFIX)?;
        self.open_bound(rest, &format!("{purpose}\0{appid}\0{openid}"))
    }

    /// `e1.<key id>.<base64url(nonce || ciphertext)>` under the newest key, `aad` authenticated.
    fn seal_bound(&self, plain: &[u8], aad: &str) -> Option<String> {
        let (id, cipher) = self.keys.first()?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).ok()?;
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        let mut blob = nonce.to_vec();
        blob.extend(sealed);
        Some(format!("{PREFIX}{id}.{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Opens `<key id>.<blob>` with the key it names, checking `aad`.
    fn open_bound(&self, rest: &str, aad: &str) -> Option<Vec<u8>> {
        let (id, blob) = rest.split_once('.')?;
        let (_, cipher) = self.keys.iter().find(|(kid, _)| kid == id)?;
        let blob = URL_SAFE_NO_PAD.decode(blob).ok()?;
        let (nonce, body) = blob.split_at_checked(12)?;
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }

    /// Whether a sealed value names the newest key (else a key rotation re-seals it).
    pub fn is_newest(&self, stored: &str) -> bool {
        let Some((newest, _)) = self.keys.first() else {
            return false;
        };
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(id, _)| id == newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "0000000000000000000000000000000000000000000000000000000000000001";
    const K2: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

    #[test]
    fn seals_opens_and_rotates() {
        let old = KeyRing::new([K1]).expect("key");
        let stored = old
            .seal("tiihtNczf5v6AKRyjwEUhQ==", "wxa", "o1")
            .expect("seal");
        assert!(stored.starts_with("e1.") && !stored.contains("tiihtNczf5v6AKRyjwEUhQ"));
        assert_eq!(
            old.open(&stored, "wxa", "o1").as_deref(),
            Some("tiihtNczf5v6AKRyjwEUhQ==")
        );
        // Bound to its user.
        assert_eq!(old.open(&stored, "wxa", "o2"), None);
        // Rotation: the new ring encrypts with K2 and still opens K1's values.
        let new = KeyRing::new([K2, K1]).expect("keys");
        assert_eq!(
            new.open(&stored, "wxa", "o1").as_deref(),
            Some("tiihtNczf5v6AKRyjwEUhQ==")
        );
        let fresh = new.seal("abc", "wxa", "o1").expect("seal");
        assert_eq!(
            old.open(&fresh, "wxa", "o1"),
            None,
            "K1 alone cannot open K2's values"
        );
        // Plain values from before encryption are read as they are.
        assert_eq!(
            new.open("plainkey==", "wxa", "o1").as_deref(),
            Some("plainkey==")
        );
        assert!(KeyRing::new(["short"]).is_err());
        // Strict mode: after a migration, plaintext values are refused.
        let strict = KeyRing::new([K2, K1])
            .expect("keys")
            .require_encrypted(true);
        assert_eq!(strict.open("plainkey==", "wxa", "o1"), None);
        assert_eq!(
            strict.open(&stored, "wxa", "o1").as_deref(),
            Some("tiihtNczf5v6AKRyjwEUhQ==")
        );
        assert!(!KeyRing::default().is_enabled());
        assert_eq!(KeyRing::default().seal("k", "a", "o").as_deref(), Some("k"));
    }

    #[test]
    fn values_of_another_purpose_are_bound_to_it_and_never_kept_in_the_clear() {
        let ring = KeyRing::new([K1]).expect("key");
        let sealed = ring
            .seal_for("phone", b"13800000000", "wxa", "o1")
            .expect("seal");
        assert!(!sealed.contains("13800000000"));
        assert_eq!(
            ring.open_for("phone", &sealed, "wxa", "o1").as_deref(),
            Some(&b"13800000000"[..])
        );
        assert_eq!(ring.open_for("phone", &sealed, "wxa", "o2"), None);
        assert_eq!(ring.open_for("other", &sealed, "wxa", "o1"), None);
        // A session_key's sealed form is not a phone number, nor the other way round.
        assert_eq!(ring.open(&sealed, "wxa", "o1"), None);
        let key = ring.seal("k", "wxa", "o1").expect("seal");
        assert_eq!(ring.open_for("phone", &key, "wxa", "o1"), None);
        assert_eq!(
            KeyRing::default().seal_for("phone", b"x", "wxa", "o1"),
            None
        );
    }
}
