//! One exchange with WeChat on the client's runtime: attempts, retries with backoff, as far as
//! [`Repeat`] allows, and the body limit.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use crate::Error;
use crate::client::{ClientConfig, Repeat};

/// What a call needs on the client's runtime.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: ClientConfig,
}

impl Inner {
    /// Sends until WeChat answers something other than `-1` or a retryable failure, as far as
    /// `repeat` and the retry budget allow; returns the answer's body.
    pub(crate) async fn exchange(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
        repeat: Repeat,
    ) -> Result<Vec<u8>, Error> {
        let url = format!("{}{}", self.config.base_url, path);
        let mut attempt = 0;
        loop {
            let err = match self.send_once(method.clone(), &url, query, body).await {
                Ok(body) => match busy_errcode(&body) {
                    Some(err) => err,
                    None => return Ok(body),
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
        query: &[(String, String)],
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
