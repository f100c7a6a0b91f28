//! `[server]`: listeners, read deadline, shutdown.

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
    /// How long a client has to send a request's head, and again its body (`408` after).
    pub request_read_timeout_ms: u64,
    /// How long in-flight requests get after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0:8080".into(),
            metrics_bind: None,
            admin_bind: None,
            request_read_timeout_ms: 10_000,
            shutdown_timeout_secs: 20,
            workers: None,
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
        if self.workers == Some(0) {
            return Err(invalid("server.workers", "must be at least 1"));
        }
        Ok(())
    }
}
