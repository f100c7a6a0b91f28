//! `[server]`: listeners, read deadline, keep-alive, connection bound, shutdown.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid, parse_addr, positive};

/// `[server]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// API, health and OpenAPI listener.
    pub bind: String,
    /// Optional separate listener for `/metrics`.
    pub metrics_bind: Option<String>,
    /// Optional separate listener for the admin API; when set, admin routes answer 404 on
    /// `bind`.
    pub admin_bind: Option<String>,
    /// How long a client has to send each request's head (the first on a connection and every
    /// later one), and again its body (`408` after).
    pub request_read_timeout_ms: u64,
    /// How long an idle keep-alive connection is kept open between requests.
    pub keep_alive_secs: u64,
    /// Open connections per replica on the API listener; past it, new connections wait in the
    /// listen backlog. Split evenly between the workers (actix counts per worker).
    pub max_connections: usize,
    /// How long in-flight requests get after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
    /// The service's public origin (and path prefix, if any) as browsers reach it, e.g.
    /// `https://login.example.com`: WeChat sends web logins back to
    /// `{public_url}/v1/web/{appid}/callback`. Required when a web app is configured.
    pub public_url: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0:8080".into(),
            metrics_bind: None,
            admin_bind: None,
            request_read_timeout_ms: 10_000,
            keep_alive_secs: 5,
            max_connections: 25_000,
            shutdown_timeout_secs: 20,
            workers: None,
            public_url: None,
        }
    }
}

impl ServerSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        parse_addr("server.bind", &self.bind)?;
        if let Some(bind) = &self.metrics_bind {
            parse_addr("server.metrics_bind", bind)?;
        }
        if let Some(bind) = &self.admin_bind {
            parse_addr("server.admin_bind", bind)?;
        }
        positive(
            "server.request_read_timeout_ms",
            self.request_read_timeout_ms,
        )?;
        positive("server.keep_alive_secs", self.keep_alive_secs)?;
        if self.max_connections == 0 {
            return Err(invalid("server.max_connections", "must be greater than 0"));
        }
        if self.workers == Some(0) {
            return Err(invalid("server.workers", "must be at least 1"));
        }
        if let Some(url) = &self.public_url {
            self::public_origin(url).ok_or_else(|| {
                invalid(
                    "server.public_url",
                    "must be an absolute http(s) URL without query or fragment",
                )
            })?;
        }
        Ok(())
    }

    /// `public_url` without a trailing slash, and its origin (`scheme://host[:port]`).
    pub fn public_url(&self) -> Option<(String, String)> {
        let url = self.public_url.as_deref()?;
        let origin = public_origin(url)?;
        Some((url.trim_end_matches('/').to_owned(), origin))
    }
}

/// The origin of an absolute http(s) URL without query or fragment.
fn public_origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host().is_some()
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && parsed.username().is_empty()
        && parsed.password().is_none();
    ok.then(|| parsed.origin().ascii_serialization())
}
