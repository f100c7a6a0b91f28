//! `[web]`: browser logins (`website` and `official_account` apps).

use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::secrets::read_secret_file;
use super::{ConfigError, invalid};
use crate::domain::keys::KeyRing;

/// `[web]`
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// Origins (`scheme://host[:port]`) a web login's `return_to` may lead to, and from which a
    /// cookie-authenticated state change is accepted. The service's own origin
    /// (`server.public_url`) always is.
    pub allowed_origins: Vec<String>,
    /// Files holding 32-byte keys (base64 or 64 hex characters) that seal a started login into
    /// its `state` cookie; every replica needs the same. The first seals, all open: to rotate,
    /// put the new key first and drop the old one ten minutes later. Required with a web app.
    pub state_key_files: Vec<PathBuf>,
    /// A state key made up at start-up: only `dev` sets it (one process).
    #[serde(skip)]
    pub dev_state_key: Option<SecretString>,
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

    /// The keys that seal started logins (`web.state_key_files`, or `dev`'s), newest first.
    /// Values that no key opens are refused: a state is never accepted unsealed.
    pub fn state_keys(&self) -> Result<KeyRing, ConfigError> {
        let mut texts = Vec::new();
        for (i, path) in self.state_key_files.iter().enumerate() {
            texts.push(read_secret_file(
                &format!("web.state_key_files[{i}]"),
                path,
            )?);
        }
        texts.extend(self.dev_state_key.clone());
        KeyRing::new(texts.iter().map(|t| t.expose_secret()))
            .map(|ring| ring.require_encrypted(true))
            .map_err(|e| invalid("web.state_key_files", e.to_string()))
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
