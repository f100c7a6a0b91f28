//! `rawData` signatures, user-state signatures and the two signatures of a platform push, with
//! constant-time verification.

use hmac::{KeyInit as _, Mac as _};
use sha1::Digest as _;
use subtle::ConstantTimeEq as _;

use crate::{Error, SessionKey};

/// `hex(sha1(raw_data + session_key))`, where `raw_data` is the exact string the mini-program
/// sent and `session_key` is the key's base64 text.
pub fn raw_data_signature(raw_data: &str, key: &SessionKey) -> String {
    let mut hasher = sha1::Sha1::new();
    hasher.update(raw_data.as_bytes());
    hasher.update(key.expose_base64().as_bytes());
    hex::encode(hasher.finalize())
}

/// Checks a `rawData` signature in constant time. Hex case is ignored.
pub fn verify_raw_data_signature(
    raw_data: &str,
    signature: &str,
    key: &SessionKey,
) -> Result<(), Error> {
    let expected = raw_data_signature(raw_data, key);
    let given = signature.to_ascii_lowercase();
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(Error::SignatureMismatch)
    }
}

/// `hex(hmac_sha256(key = session_key base64 text as bytes, message))`. WeChat's
/// `checkSessionKey` API signs the empty message.
pub fn user_state_signature(key: &SessionKey, message: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail; fall back to an impossible value
    // rather than panic if that ever changed.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.expose_base64().as_bytes())
    else {
        return String::new();
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `hex(sha1(concat(sort(parts))))`, the shape of both WeChat signatures.
fn sorted_sha1(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    let mut hasher = sha1::Sha1::new();
    parts.iter().for_each(|p| hasher.update(p.as_bytes()));
    hex::encode(hasher.finalize())
}

/// `msg_signature`: over the token, timestamp, nonce and `Encrypt`.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce, encrypt])
}

/// The plain `signature` query parameter of a push: over the token, timestamp and nonce only.
pub fn url_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce])
}
