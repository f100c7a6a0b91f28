//! Every WeChat call the service makes is timed and counted by API and result here.

use std::future::Future;
use std::time::Instant;

use wechat_client::{Code2SessionError, Error, PhoneError};

use crate::metrics::Metrics;
use crate::metrics::labels::{WechatApi, WechatResult};

/// A WeChat call refused here because `appid`'s calls are at their bound: counted, and
/// `WechatUnavailable` for the client.
pub fn refused_call(metrics: &Metrics, appid: &str) -> crate::domain::Error {
    metrics
        .wechat_calls_refused_total
        .with_label_values(&[metrics.app(appid)])
        .inc();
    crate::domain::Error::WechatUnavailable
}

/// What an error of a WeChat call counts as.
pub trait Classify {
    /// The `result` label.
    fn class(&self) -> WechatResult;
}

impl Classify for Error {
    fn class(&self) -> WechatResult {
        match self {
            Self::RateLimited => WechatResult::RateLimited,
            Self::TokenRefused(_) => WechatResult::TokenRefused,
            Self::BadCredentials(_) => WechatResult::BadCredentials,
            Self::Timeout => WechatResult::Timeout,
            err if err.is_retryable() => WechatResult::Unavailable,
            _ => WechatResult::Error,
        }
    }
}

impl Classify for Code2SessionError {
    fn class(&self) -> WechatResult {
        match self {
            Self::Wechat(err) => err.class(),
            _ => WechatResult::Refused,
        }
    }
}

impl Classify for wechat_client::ComponentError {
    fn class(&self) -> WechatResult {
        match self {
            Self::Wechat(err) => err.class(),
            _ => WechatResult::Refused,
        }
    }
}

impl Classify for PhoneError {
    fn class(&self) -> WechatResult {
        match self {
            Self::Wechat(err) => err.class(),
            _ => WechatResult::Refused,
        }
    }
}

/// Runs one WeChat call, timing it and counting its result.
pub async fn call<T, E: Classify>(
    metrics: &Metrics,
    api: WechatApi,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let started = Instant::now();
    let result = fut.await;
    let class = match &result {
        Ok(_) => WechatResult::Ok,
        Err(err) => err.class(),
    };
    metrics.wechat(api, class, started.elapsed());
    result
}

/// What a WeChat failure means for a client: unavailable (retry later), a timeout, WeChat's rate
/// limit, or an answer we cannot use. Configuration errors are logged here.
pub fn client_error(appid: &str, err: &Error) -> super::Error {
    match err {
        Error::RateLimited => super::Error::RateLimited { retry_after: 1 },
        Error::Timeout => super::Error::WechatTimeout,
        err if err.is_retryable() => super::Error::WechatUnavailable,
        Error::BadCredentials(_) => {
            tracing::error!(appid, error = %err, "WeChat rejected the app's credentials: check the configuration");
            super::Error::WechatError
        }
        _ => super::Error::WechatError,
    }
}
