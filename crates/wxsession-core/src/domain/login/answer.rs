//! What a login answers, and the small part of it sealed for later presentations of its code.

use serde::{Deserialize, Serialize};

use crate::domain::Error;
use crate::domain::ids::{AppId, OpenId, UnionId};

/// A login's answer.
#[derive(Debug, Clone)]
pub struct LoginAnswer {
    /// The session token, handed out here only.
    pub session: String,
    /// Seconds until the session expires unless used.
    pub expires_in: u64,
    /// The app.
    pub appid: AppId,
    /// The user in that app.
    pub openid: OpenId,
    /// The user across the team's apps, when WeChat gave it.
    pub unionid: Option<UnionId>,
    /// The decrypted one-request user data.
    pub user: Option<serde_json::Value>,
    /// Why the one-request user data could not be decrypted.
    pub user_error: Option<UserDataError>,
}

/// Why the one-request decrypt failed; sealed with the code's answer, so its form is stable:
/// `{"code": …}` (and `"message"` for malformed input).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UserDataError {
    /// Malformed `encryptedData`/`iv`/`rawData`/`signature`.
    InvalidRequest {
        /// What was wrong.
        message: String,
    },
    /// Padding, JSON or watermark.
    DecryptFailed {},
    /// The `rawData` signature.
    SignatureMismatch {},
}

impl UserDataError {
    pub(super) fn of(err: &Error) -> Self {
        match err {
            Error::InvalidInput(message) => Self::InvalidRequest {
                message: message.clone(),
            },
            Error::SignatureMismatch => Self::SignatureMismatch {},
            _ => Self::DecryptFailed {},
        }
    }

    /// The error it stands for.
    pub fn into_error(self) -> Error {
        match self {
            Self::InvalidRequest { message } => Error::InvalidInput(message),
            Self::DecryptFailed {} => Error::DecryptFailed,
            Self::SignatureMismatch {} => Error::SignatureMismatch,
        }
    }
}

/// What a code's exchange ended in, sealed for the code's lifetime. Kept small: a replay
/// rebuilds the rest of the answer from the session itself.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Outcome {
    Session {
        #[serde(rename = "t")]
        token: String,
        #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
        user: Option<serde_json::Value>,
        #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
        user_error: Option<UserDataError>,
    },
    /// A final refusal: `invalid_code`, `user_blocked` or `code_used`.
    Failed(String),
}

/// The sealed outcome of a snapshot-mode page's code.
pub(super) const SNAPSHOT_USER: &str = "snapshot_user";

/// The sealed outcome of a browser login the user declined.
pub(super) const ACCESS_DENIED: &str = "access_denied";
