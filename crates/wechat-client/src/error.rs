//! Errors of the WeChat client, split by what the caller can do about them.

/// Why a call to WeChat did not give the expected answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `40029`: the code is invalid or expired. Final: ask the user to log in again.
    #[error("invalid code (40029)")]
    InvalidCode,
    /// `40163`: the code was already exchanged. Final.
    #[error("code already used (40163)")]
    CodeUsed,
    /// `45011`: WeChat's per-user frequency limit. Final for now; try again later.
    #[error("rate limited by WeChat (45011)")]
    RateLimited,
    /// `40226`: the user is blocked by WeChat's risk control. Final.
    #[error("user blocked by WeChat (40226)")]
    UserBlocked,
    /// `-1`: WeChat is busy; retried, then reported.
    #[error("WeChat system busy (-1)")]
    SystemBusy,
    /// `40013`: the appid is wrong. A configuration error.
    #[error("invalid appid (40013)")]
    InvalidAppId,
    /// `40125`: the app secret is wrong. A configuration error.
    #[error("invalid app secret (40125)")]
    InvalidSecret,
    /// Any other errcode, kept as WeChat sent it.
    #[error("WeChat error {errcode}: {errmsg}")]
    Api {
        /// WeChat's errcode.
        errcode: i64,
        /// WeChat's errmsg.
        errmsg: String,
    },
    /// WeChat did not answer within the request timeout.
    #[error("timed out waiting for WeChat")]
    Timeout,
    /// The connection failed (refused, reset, DNS, TLS). The URL is stripped.
    #[error("could not reach WeChat")]
    Transport(#[source] reqwest::Error),
    /// WeChat answered with a non-200 HTTP status.
    #[error("WeChat answered HTTP {0}")]
    HttpStatus(u16),
    /// The base URL is not `https` (and `allow_http` is off).
    #[error("the WeChat base URL must be https")]
    InsecureBaseUrl,
    /// The body was not the expected JSON.
    #[error("unexpected reply from WeChat: {0}")]
    Decode(String),
}

impl Error {
    /// Maps a non-zero errcode to its variant.
    pub fn from_errcode(errcode: i64, errmsg: String) -> Self {
        match errcode {
            40029 => Self::InvalidCode,
            40163 => Self::CodeUsed,
            45011 => Self::RateLimited,
            40226 => Self::UserBlocked,
            -1 => Self::SystemBusy,
            40013 => Self::InvalidAppId,
            40125 => Self::InvalidSecret,
            _ => Self::Api { errcode, errmsg },
        }
    }

    /// Whether another attempt may succeed: `-1`, HTTP 5xx and connection errors only.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::SystemBusy | Self::Transport(_) => true,
            Self::HttpStatus(status) => *status >= 500,
            _ => false,
        }
    }
}
