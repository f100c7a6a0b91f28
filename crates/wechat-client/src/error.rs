//! The errors every WeChat call shares, split by what the caller can do about them. What an
//! errcode means beyond these classes depends on the API: each typed call interprets the rest
//! (`40029` is a bad login code for `jscode2session`, a bad phone code elsewhere). No error
//! carries a URL: the query string holds the app secret, codes and access tokens.

/// Why a call to WeChat did not give the expected answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An errcode the call did not interpret, kept as WeChat sent it.
    #[error("WeChat error {errcode}: {errmsg}")]
    Api {
        /// WeChat's errcode.
        errcode: i64,
        /// WeChat's errmsg.
        errmsg: String,
    },
    /// `-1`: WeChat is busy; retried, then reported.
    #[error("WeChat system busy (-1)")]
    SystemBusy,
    /// `45011`: WeChat's frequency limit. Final for now; try again later.
    #[error("rate limited by WeChat (45011)")]
    RateLimited,
    /// `40001`, `40014`, `42001`: the access_token is not (or no longer) valid.
    #[error("the access_token was refused ({0})")]
    TokenRefused(i64),
    /// `40013` (appid) or `40125` (secret): the app's credentials are wrong. A configuration
    /// error.
    #[error("WeChat rejected the app's credentials ({0})")]
    BadCredentials(i64),
    /// WeChat did not answer within the request timeout.
    #[error("timed out waiting for WeChat")]
    Timeout,
    /// The connection failed (refused, reset, DNS, TLS). The URL is stripped.
    #[error("could not reach WeChat")]
    Transport(#[source] reqwest::Error),
    /// WeChat answered with a status other than 200 (a redirect included: never followed).
    #[error("WeChat answered HTTP {0}")]
    HttpStatus(u16),
    /// The body was not the expected JSON, or was too large.
    #[error("unexpected reply from WeChat: {0}")]
    Decode(String),
    /// The base URL is not `https` (and `allow_http` is off).
    #[error("the WeChat base URL must be https")]
    InsecureBaseUrl,
    /// The client's own runtime, where its connections live, could not start (or stopped).
    #[error("the WeChat client's runtime is not running")]
    Runtime(#[source] std::io::Error),
}

impl Error {
    /// The class of a non-zero errcode; the typed call may interpret `Api` further.
    pub fn from_errcode(errcode: i64, errmsg: String) -> Self {
        match errcode {
            -1 => Self::SystemBusy,
            45011 => Self::RateLimited,
            40001 | 40014 | 42001 => Self::TokenRefused(errcode),
            40013 | 40125 => Self::BadCredentials(errcode),
            _ => Self::Api { errcode, errmsg },
        }
    }

    /// The errcode of an `Api` error.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// Whether the request may have reached WeChat and been acted on: anything but a
    /// connection that was never made and WeChat's own "busy, did nothing" (`-1`).
    pub fn may_have_reached_wechat(&self) -> bool {
        match self {
            Self::SystemBusy | Self::InsecureBaseUrl => false,
            Self::Transport(err) => !err.is_connect(),
            _ => true,
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
