//! Validated keys: 16-byte session keys and initialisation vectors, and a platform's 32-byte
//! EncodingAESKey.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use crate::InputError;

/// A user's `session_key`: 16 bytes, kept together with the base64 text WeChat sent, because
/// the signatures are computed over that text. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    bytes: [u8; 16],
    text: String,
}

impl SessionKey {
    /// Parses the base64 text WeChat returns from `jscode2session`.
    pub fn from_base64(text: &str) -> Result<Self, InputError> {
        let bytes = decode_16(text, "session_key", InputError::KeyLength)?;
        Ok(Self {
            bytes,
            text: text.to_owned(),
        })
    }

    /// Wraps raw key bytes (for simulators and tests).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self {
            bytes,
            text: STANDARD.encode(bytes),
        }
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.bytes
    }

    /// The base64 text of the key, exactly as WeChat gave it.
    pub fn expose_base64(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey([REDACTED])")
    }
}

/// A 16-byte CBC initialisation vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iv([u8; 16]);

impl Iv {
    /// Parses a base64 iv as sent by the mini-program.
    pub fn from_base64(text: &str) -> Result<Self, InputError> {
        decode_16(text, "iv", InputError::IvLength).map(Self)
    }

    /// Wraps raw iv bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The iv as standard base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// WeChat's console makes keys of 43 random letters and digits, so the last character often
/// carries non-zero bits past the 32nd byte; every WeChat SDK decodes them leniently.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// A platform's EncodingAESKey: 43 base64 characters standing for a 32-byte AES-256 key.
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodingAesKey([u8; 32]);

impl EncodingAesKey {
    /// Parses the 43 characters the WeChat console shows.
    pub fn from_text(text: &str) -> Result<Self, InputError> {
        if text.len() != 43 {
            return Err(InputError::EncodingAesKey);
        }
        let bytes = LENIENT
            .decode(format!("{text}="))
            .map_err(|_| InputError::EncodingAesKey)?;
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| InputError::EncodingAesKey)
    }

    /// Wraps raw key bytes (for simulators and tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 43 characters of this key, as the console would show them.
    pub fn to_text(&self) -> String {
        let mut text = STANDARD.encode(self.0);
        text.truncate(43);
        text
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// WXBizMsgCrypt's IV: the key's first 16 bytes.
    pub(crate) fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.iter_mut().zip(self.0.iter()).for_each(|(d, s)| *d = *s);
        iv
    }
}

impl std::fmt::Debug for EncodingAesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncodingAesKey([REDACTED])")
    }
}

pub(crate) fn decode_b64(text: &str, field: &'static str) -> Result<Vec<u8>, InputError> {
    STANDARD.decode(text).map_err(|_| InputError::Base64(field))
}

fn decode_16(
    text: &str,
    field: &'static str,
    wrong_len: InputError,
) -> Result<[u8; 16], InputError> {
    // A 16-byte value is 24 base64 characters; refuse to decode anything much larger.
    if text.len() > 64 {
        return Err(wrong_len);
    }
    decode_b64(text, field)?.try_into().map_err(|_| wrong_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_aes_key_text_round_trips() {
        let key = EncodingAesKey::from_bytes([7; 32]);
        assert_eq!(key.to_text().len(), 43);
        assert_eq!(EncodingAesKey::from_text(&key.to_text()), Ok(key));
    }
}
