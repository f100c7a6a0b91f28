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
    /// A pushed message (WXBizMsgCrypt) was refused: bad `msg_signature`, bad padding, a length
    /// field that does not fit, text that is not UTF-8, or a trailing appid that is not ours.
    /// The message is the same for every cause; [`FailureReason`] is for metrics only.
    #[error("message rejected")]
    MessageRejected(FailureReason),
    /// The system's random number generator failed (encrypting needs 16 fresh bytes).
    #[error("the system random number generator failed")]
    Random,
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
    /// An EncodingAESKey is not 43 base64 characters (a 32-byte key).
    #[error("EncodingAESKey must be 43 base64 characters")]
    EncodingAesKey,
    /// A message-verification Token is not 3 to 32 letters or digits.
    #[error("Token must be 3 to 32 letters or digits")]
    Token,
    /// An appid (or receive id) is empty, longer than 64 bytes, or holds characters other than
    /// letters, digits, `_` and `-`.
    #[error("appid must be 1 to 64 letters, digits, _ or -")]
    AppId,
    /// `Encrypt` is empty, longer than 64 KiB, or does not decode to a multiple of 16 bytes.
    #[error("Encrypt must decode to a non-zero multiple of 16 bytes, at most 64 KiB")]
    EncryptLength,
    /// A message to encrypt is larger than 64 KiB.
    #[error("the message to encrypt is larger than 64 KiB")]
    MessageTooLarge,
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
    /// A pushed message's `msg_signature` did not match.
    Signature,
    /// A pushed message's length field points outside the plaintext.
    Framing,
    /// A pushed message is not UTF-8.
    Utf8,
    /// A pushed message's trailing appid is not the expected one.
    AppId,
}

impl FailureReason {
    /// A short label (`padding`, `json`, `watermark`, `signature`, `framing`, `utf8`, `appid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Padding => "padding",
            Self::Json => "json",
            Self::Watermark => "watermark",
            Self::Signature => "signature",
            Self::Framing => "framing",
            Self::Utf8 => "utf8",
            Self::AppId => "appid",
        }
    }
}
