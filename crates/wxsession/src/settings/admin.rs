//! `[admin]`: the admin bearer token, and the least-privilege credentials of the team's other
//! backends that read the access_token.

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
    /// Credentials that may read and invalidate access tokens, and nothing else.
    pub credential_readers: Vec<CredentialReaderSettings>,
}

/// `[[admin.credential_readers]]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialReaderSettings {
    /// Who it is, for the audit log (1-64 of `A-Za-z0-9_-`).
    pub name: String,
    /// Its bearer token, inline.
    #[serde(default, serialize_with = "redact_opt")]
    pub token: Option<SecretString>,
    /// A file holding its bearer token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

impl AdminSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.token.is_some() && self.token_file.is_some() {
            return Err(invalid("admin", "set token or token_file, not both"));
        }
        self.token()?;
        self.credential_readers().map(|_| ())
    }

    /// The credential readers: (name, token).
    pub fn credential_readers(&self) -> Result<Vec<(String, SecretString)>, ConfigError> {
        let mut readers: Vec<(String, SecretString)> = Vec::new();
        for (i, reader) in self.credential_readers.iter().enumerate() {
            let key = |field: &str| format!("admin.credential_readers[{i}].{field}");
            if !crate::domain::ids::is_valid_id(&reader.name) {
                return Err(invalid(
                    key("name"),
                    "must be 1-64 characters of A-Z a-z 0-9 _ -",
                ));
            }
            if readers.iter().any(|(name, _)| *name == reader.name) {
                return Err(invalid(
                    key("name"),
                    format!("duplicate name {}", reader.name),
                ));
            }
            let token = match (&reader.token, &reader.token_file) {
                (Some(token), None) => token.clone(),
                (None, Some(path)) => read_secret_file(&key("token_file"), path)?,
                _ => return Err(invalid(key("token"), "set token or token_file")),
            };
            if token.expose_secret().len() < 16 {
                return Err(invalid(key("token"), "must be at least 16 characters"));
            }
            readers.push((reader.name.clone(), token));
        }
        Ok(readers)
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
