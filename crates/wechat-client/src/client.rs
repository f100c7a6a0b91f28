//! The client: one struct, one private request helper, small public methods.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::io::Io;
use crate::send::Inner;

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

/// An async WeChat server API client. Cheap to clone: the clones share one connection pool,
/// and every call runs on the client's own runtime (`io.rs`), where the pool's connections
/// live until the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    io: Arc<Io>,
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
        Ok(Self {
            inner: Arc::new(Inner { http, config }),
            io: Arc::new(Io::new()?),
        })
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
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
        let inner = Arc::clone(&self.inner);
        let path = path.to_owned();
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let body = body.cloned();
        let call = async move {
            inner
                .exchange(method, &path, &query, body.as_ref(), repeat)
                .await
        };
        let answer = self.io.run(call).await?;
        serde_json::from_slice(&answer).map_err(|e| Error::Decode(e.to_string()))
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
