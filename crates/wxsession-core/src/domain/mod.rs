//! The service's rules, free of HTTP: login (one code, one exchange, one answer), sessions,
//! user data and keys, limits, audit. Every function here returns a typed [`Error`];
//! `http::error` decides what a client sees for each.

pub mod apps;
pub mod audit;
pub mod clock;
pub mod component;
pub mod credentials;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod login;
pub mod once;
pub mod phone;
pub mod session;
pub mod session_key;
pub mod store_policy;
pub mod token;
pub mod unions;
pub mod user_data;
pub mod web;
pub mod wechat;

use self::ids::InvalidId;
use crate::store::StoreError;

/// Why a request could not be served, in the domain's words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed input; the text says what (our words, never an echo of the input).
    #[error("{0}")]
    InvalidInput(String),
    /// The appid is not configured, or omitted while several are.
    #[error("unknown or missing appid")]
    UnknownApp,
    /// A change through the admin API of an app that the config file or the third-party
    /// platform manages.
    #[error("the app is managed elsewhere")]
    AppManagedElsewhere,
    /// The merchant withdrew the platform's authorization, or WeChat says the platform may
    /// not act for it (61003).
    #[error("the app is not authorized")]
    AppUnauthorized,
    /// A record that cannot be rebuilt would go to a store that does not keep it; the text
    /// says why, in an operator's words (no secret in it).
    #[error("{0}")]
    StoreNotDurable(String),
    /// WeChat refused the login code (40029).
    #[error("invalid login code")]
    InvalidCode,
    /// WeChat says the login code was used (40163), or its session is gone.
    #[error("login code already used")]
    CodeUsed,
    /// Missing, malformed, unknown, expired or revoked token.
    #[error("invalid session")]
    InvalidSession,
    /// WeChat blocked the user (40226).
    #[error("user blocked")]
    UserBlocked,
    /// WeChat refused the phone code (40029, 40163).
    #[error("invalid phone code")]
    InvalidPhoneCode,
    /// The operation needs a `session_key` (or a browser flow) this app kind does not have.
    #[error("unsupported for this app")]
    UnsupportedForApp,
    /// A web login's `state` is bad, missing, expired or reused.
    #[error("invalid state")]
    InvalidState,
    /// WeChat answered a snapshot-mode page's virtual user (`is_snapshotuser: 1`): nobody to
    /// log in.
    #[error("snapshot user")]
    SnapshotUser,
    /// The user declined at WeChat: no code came back.
    #[error("access denied")]
    AccessDenied,
    /// No such user (no key to act on).
    #[error("not found")]
    NotFound,
    /// Any failure after input validation: padding, JSON, watermark.
    #[error("decrypt failed")]
    DecryptFailed,
    /// The `rawData` signature does not match.
    #[error("signature mismatch")]
    SignatureMismatch,
    /// WeChat 45011 or a local limit; retry after this many seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// WeChat answered something we cannot use.
    #[error("WeChat error")]
    WechatError,
    /// WeChat is unreachable, failing or busy, or the app's calls are at their bound.
    #[error("WeChat unavailable")]
    WechatUnavailable,
    /// The app's `force_refresh` budget for the UTC day is spent; retry after this many
    /// seconds (the next day).
    #[error("force_refresh budget spent")]
    ForceRefreshSpent {
        /// Seconds to the next UTC day.
        retry_after: u64,
    },
    /// WeChat did not answer in time.
    #[error("WeChat timeout")]
    WechatTimeout,
    /// The store failed (already logged and counted where it happened).
    #[error("store unavailable")]
    StoreUnavailable,
    /// The store refused a write for lack of memory; existing sessions keep working.
    #[error("store full")]
    StoreFull,
    /// A bug or an impossible state.
    #[error("unexpected: {0}")]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Full => Self::StoreFull,
            _ => Self::StoreUnavailable,
        }
    }
}

impl From<InvalidId> for Error {
    /// A malformed id from a request is malformed input: `appid is malformed`.
    fn from(err: InvalidId) -> Self {
        Self::InvalidInput(err.to_string())
    }
}
