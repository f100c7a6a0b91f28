//! `[admin]`: the admin bearer token, and the least-privilege credentials of the team's other
//! backends that read the access_token.

use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::secrets::{read_secret_file, redact_opt};
use super::{App, ConfigError, invalid};
use crate::domain::ids::ReaderName;

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
    /// The apps whose access_token it may read and invalidate; absent: every app.
    #[serde(default)]
    pub apps: Option<Vec<String>>,
}

/// A credential reader as the service uses it.
#[derive(Debug, Clone)]
pub struct ReaderCredential {
    /// Its name, for the audit log.
    pub name: ReaderName,
    /// Its bearer token.
    pub token: SecretString,
    /// The apps it may act on; `None`: every app.
    pub apps: Option<Vec<String>>,
}

impl ReaderCredential {
    /// Whether it may read and invalidate `appid`'s access_token.
    pub fn may_act_on(&self, appid: &str) -> bool {
        self.apps
            .as_ref()
            .is_none_or(|apps| apps.iter().any(|a| a == appid))
    }
}

impl AdminSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.token.is_some() && self.token_file.is_some() {
            return Err(invalid("admin", "set token or token_file, not both"));
        }
        self.token()?;
        self.credential_readers().map(|_| ())
    }

    /// The credential readers, their tokens resolved.
    pub fn credential_readers(&self) -> Result<Vec<ReaderCredential>, ConfigError> {
        let mut readers: Vec<ReaderCredential> = Vec::new();
        for (i, reader) in self.credential_readers.iter().enumerate() {
            let key = |field: &str| format!("admin.credential_readers[{i}].{field}");
            let Ok(name) = ReaderName::parse(&reader.name) else {
                return Err(invalid(
                    key("name"),
                    "must be 1-64 characters of A-Z a-z 0-9 _ -",
                ));
            };
            if readers.iter().any(|r| r.name == name) {
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
            if reader.apps.as_ref().is_some_and(Vec::is_empty) {
                return Err(invalid(
                    key("apps"),
                    "empty: list the appids it may read, or leave it out for every app",
                ));
            }
            readers.push(ReaderCredential {
                name,
                token,
                apps: reader.apps.clone(),
            });
        }
        Ok(readers)
    }

    /// Every appid a reader is scoped to is a configured app (a typo would refuse it forever).
    pub(super) fn validate_reader_apps(&self, apps: &[App]) -> Result<(), ConfigError> {
        for (i, reader) in self.credential_readers.iter().enumerate() {
            for appid in reader.apps.iter().flatten() {
                if !apps.iter().any(|a| a.appid == appid.as_str()) {
                    return Err(invalid(
                        format!("admin.credential_readers[{i}].apps"),
                        format!("{appid} is not a configured app"),
                    ));
                }
            }
        }
        Ok(())
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
