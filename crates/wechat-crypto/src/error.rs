//! The one error type of the crate, split by what the caller can do about it.

/// What went wrong. Input errors are safe to report to the client in detail; everything after
/// input validation is the single opaque [`Error::DecryptFailed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is malformed before any cryptography happens.
    #[error(transparent)]
    InvalidInput(#[from] InputError),
    /// Decryption failed: bad padding, not JSON, or a watermark for another app. The message is
    /// the same for every cause; [`FailureReason`] is for metrics only.
    #[error("decryption failed")]
    DecryptFailed(FailureReason),
    /// A `rawData` signature did not match.
    #[error("signature mismatch")]
    SignatureMismatch,
}

/// Why an input was rejected before decryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A field is not canonical standard base64 (with padding).
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    /// The session key does not decode to 16 bytes.
    #[error("session_key must decode to 16 bytes")]
    KeyLength,
    /// The iv does not decode to 16 bytes.
    #[error("iv must decode to 16 bytes")]
    IvLength,
    /// The ciphertext is empty or not a multiple of the 16-byte block size.
    #[error("encryptedData must decode to a non-zero multiple of 16 bytes")]
    CiphertextLength,
}

/// The hidden cause of a [`Error::DecryptFailed`], for counting failures by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// PKCS#7 padding did not check out (almost always: the wrong key).
    Padding,
    /// The plaintext is not a UTF-8 JSON object.
    Json,
    /// The watermark is missing or names another appid.
    Watermark,
}

impl FailureReason {
    /// A short label (`padding`, `json`, `watermark`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Padding => "padding",
            Self::Json => "json",
            Self::Watermark => "watermark",
        }
    }
}
