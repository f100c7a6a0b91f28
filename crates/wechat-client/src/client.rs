//! The client: one struct, one private request helper, small public methods.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// How to reach WeChat.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where the API lives; `https://api.weixin.qq.com` in production.
    pub base_url: String,
    /// Timeout for establishing a connection.
    pub connect_timeout: Duration,
    /// Timeout for one whole attempt.
    pub request_timeout: Duration,
    /// Extra attempts after the first, for retryable failures only.
    pub retries: u32,
    /// First backoff delay; doubles each retry, with up to 100% random jitter added.
    pub backoff: Duration,
    /// Allow an `http://` base URL (a local simulator). WeChat itself is `https` only.
    pub allow_http: bool,
    /// The largest response body read; WeChat's answers are a few hundred bytes.
    pub max_body_bytes: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.weixin.qq.com".to_owned(),
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(3),
            retries: 2,
            backoff: Duration::from_millis(50),
            allow_http: false,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Repeating it changes nothing at WeChat (reads, token fetches): every retryable failure
    /// is retried.
    Safe,
    /// It spends a one-time code: sent again only when the first request certainly did not
    /// reach WeChat (no connection) or WeChat said it did nothing (`-1`). After a reset, a
    /// gateway's 5xx or a timeout the code may be spent already; a second request would only
    /// earn `40163` and hide what happened, so the failure is reported and the caller (who
    /// holds the code) decides.
    Unsent,
}

/// An async WeChat server API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    /// Builds the client; timeouts are fixed here.
    /// The base URL must be `https` unless `allow_http` is set. Redirects are never followed:
    /// a redirect would carry the secret and the code to another host.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let secure = config.base_url.starts_with("https://");
        let plain = config.base_url.starts_with("http://");
        if !(secure || plain && config.allow_http) {
            return Err(Error::InsecureBaseUrl);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!config.allow_http)
            .referer(false)
            .build()
            .map_err(|e| Error::Transport(e.without_url()))?;
        let mut config = config;
        config.base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self { http, config })
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// GETs `path` with `query`, retrying retryable failures, and decodes a JSON body whose
    /// `errcode` (if any) is checked for `-1` so that "system busy" is retried too.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        repeat: Repeat,
    ) -> Result<T, Error> {
        self.call(Method::GET, path, query, None, repeat).await
    }

    /// Like [`Client::get_json`], then checks `errcode` before decoding the success fields.
    pub(crate) async fn get_checked<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        checked(
            self.call(Method::GET, path, query, None, Repeat::Safe)
                .await?,
        )
    }

    /// POSTs a JSON body to `path` with `query`; `errcode` is checked before the success
    /// fields are decoded.
    pub(crate) async fn post_checked<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &serde_json::Value,
        repeat: Repeat,
    ) -> Result<T, Error> {
        checked(
            self.call(Method::POST, path, query, Some(body), repeat)
                .await?,
        )
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        repeat: Repeat,
    ) -> Result<T, Error> {
        let url = format!("{}{}", self.config.base_url, path);
        let mut attempt = 0;
        loop {
            let result = self.send_once(method.clone(), &url, query, body).await;
            let err = match result {
                Ok(body) => match busy_errcode(&body) {
                    Some(err) => err,
                    None => {
                        return serde_json::from_slice(&body)
                            .map_err(|e| Error::Decode(e.to_string()));
                    }
                },
                Err(err) => err,
            };
            let unsafe_to_repeat = repeat == Repeat::Unsent && err.may_have_reached_wechat();
            if !err.is_retryable() || unsafe_to_repeat || attempt >= self.config.retries {
                return Err(err);
            }
            tracing::debug!(path, attempt, error = %err, "retrying WeChat call");
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, Error> {
        let mut request = self.http.request(method, url).query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let mut response = request.send().await.map_err(map_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::HttpStatus(status.as_u16()));
        }
        let limit = self.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::Decode("the body is too large".to_owned()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_reqwest)? {
            if body.len() + chunk.len() > limit {
                return Err(Error::Decode("the body is too large".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.backoff.saturating_mul(1 << attempt.min(10));
        let jitter = getrandom::u32().unwrap_or(0) % 1000;
        base + base.mul_f64(f64::from(jitter) / 1000.0)
    }
}

/// An answer whose `errcode` was checked: non-zero is the error, zero (or absent) lets the
/// success fields be decoded.
fn checked<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    let errcode = value
        .get("errcode")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    if errcode != 0 {
        let errmsg = value
            .get("errmsg")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Err(Error::from_errcode(errcode, errmsg));
    }
    serde_json::from_value(value).map_err(|e| Error::Decode(e.to_string()))
}

/// `Some(SystemBusy)` when the body is JSON with `errcode: -1`.
fn busy_errcode(body: &[u8]) -> Option<Error> {
    #[derive(Deserialize)]
    struct Code {
        #[serde(default)]
        errcode: i64,
    }
    match serde_json::from_slice::<Code>(body) {
        Ok(Code { errcode: -1 }) => Some(Error::SystemBusy),
        _ => None,
    }
}

fn map_reqwest(err: reqwest::Error) -> Error {
    if err.is_timeout() {
        Error::Timeout
    } else if err.is_decode() || err.is_body() {
        Error::Decode("truncated or unreadable body".to_owned())
    } else {
        Error::Transport(err.without_url())
    }
}
