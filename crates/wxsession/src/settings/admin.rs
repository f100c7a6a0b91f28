//! `[admin]`: the admin bearer token.

use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::secrets::{read_secret_file, redact_opt};
use super::{ConfigError, invalid};

/// `[admin]`
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// The admin bearer token, inline.
    #[serde(serialize_with = "redact_opt")]
    pub token: Option<SecretString>,
    /// A file holding the admin bearer token.
    pub token_file: Option<PathBuf>,
}

impl AdminSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.token.is_some() && self.token_file.is_some() {
            return Err(invalid("admin", "set token or token_file, not both"));
        }
        self.token().map(|_| ())
    }

    /// The admin token, when the admin API is enabled.
    pub fn token(&self) -> Result<Option<SecretString>, ConfigError> {
        let token = match (&self.token, &self.token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => Some(read_secret_file("admin.token_file", path)?),
            (None, None) => None,
        };
        if let Some(token) = &token
            && token.expose_secret().len() < 16
        {
            return Err(invalid("admin.token", "must be at least 16 characters"));
        }
        Ok(token)
    }
}
