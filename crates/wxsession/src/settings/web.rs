//! `[web]`: browser logins (`website` and `official_account` apps).

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// `[web]`
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// Origins (`scheme://host[:port]`) a web login's `return_to` may lead to, and from which a
    /// cookie-authenticated state change is accepted. The service's own origin
    /// (`server.public_url`) always is.
    pub allowed_origins: Vec<String>,
    /// `Secure` off on the session and state cookies: only `dev` sets it (plain-http localhost);
    /// no configuration file can.
    #[serde(skip)]
    pub insecure_cookies: bool,
    /// `GET /` serves a demo page of the browser logins: only `dev` sets it.
    #[serde(skip)]
    pub demo_page: bool,
}

impl WebSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (i, origin) in self.allowed_origins.iter().enumerate() {
            if normalize_origin(origin).is_none() {
                return Err(invalid(
                    format!("web.allowed_origins[{i}]"),
                    format!("not an origin (scheme://host[:port], nothing else): {origin:?}"),
                ));
            }
        }
        Ok(())
    }

    /// The allowed origins, normalized (lowercase host, default ports dropped).
    pub fn origins(&self) -> Vec<String> {
        self.allowed_origins
            .iter()
            .filter_map(|o| normalize_origin(o))
            .collect()
    }
}

/// `origin` in its serialized form when it is exactly an http(s) origin.
fn normalize_origin(origin: &str) -> Option<String> {
    let url = url::Url::parse(origin).ok()?;
    let exact = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && !origin.trim_end_matches('/').ends_with(':');
    exact.then(|| url.origin().ascii_serialization())
}
