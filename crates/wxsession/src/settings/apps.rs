//! `[[apps]]`: the mini-programs served, with their secrets resolved.

use std::collections::HashSet;
use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::secrets::{read_secret_file, redact_opt};
use super::{ConfigError, invalid};

/// `[[apps]]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// The mini-program's appid.
    pub appid: String,
    /// The app secret, inline.
    #[serde(default, serialize_with = "redact_opt")]
    pub secret: Option<SecretString>,
    /// A file holding the app secret.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// An environment variable holding the app secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// How the app's access_token is fetched (`stable`, `classic`) or `off`.
    #[serde(default)]
    pub access_token: AccessTokenMode,
}

/// `apps[].access_token`: how the app's access_token is fetched, once for every replica.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccessTokenMode {
    /// `POST /cgi-bin/stable_token`: the same token while it is valid (the default).
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: each fetch mints a new token, the previous one lives 5 minutes.
    Classic,
    /// No access_token: the phone number, key status and reset are unavailable.
    Off,
}

/// An app with its secret resolved.
#[derive(Debug, Clone)]
pub struct App {
    /// The appid.
    pub appid: String,
    /// The app secret.
    pub secret: SecretString,
    /// How its access_token is fetched.
    pub access_token: AccessTokenMode,
}

/// The apps with their secrets resolved from `secret`, `secret_file` or `secret_env`.
pub(super) fn resolve(apps: &[AppSettings]) -> Result<Vec<App>, ConfigError> {
    if apps.is_empty() {
        return Err(invalid("apps", "configure at least one [[apps]] entry"));
    }
    let mut seen = HashSet::new();
    let mut resolved = Vec::with_capacity(apps.len());
    for (i, app) in apps.iter().enumerate() {
        let key = |field: &str| format!("apps[{i}].{field}");
        if !crate::domain::ids::is_valid_id(&app.appid) {
            return Err(invalid(
                key("appid"),
                "must be 1-64 characters of A-Z a-z 0-9 _ -",
            ));
        }
        if !seen.insert(app.appid.as_str()) {
            return Err(invalid(
                key("appid"),
                format!("duplicate appid {}", app.appid),
            ));
        }
        let secret = match (&app.secret, &app.secret_file, &app.secret_env) {
            (Some(s), None, None) => s.clone(),
            (None, Some(path), None) => read_secret_file(&key("secret_file"), path)?,
            (None, None, Some(var)) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => SecretString::from(v.trim().to_owned()),
                _ => {
                    return Err(invalid(
                        key("secret_env"),
                        format!("environment variable {var} is not set or empty"),
                    ));
                }
            },
            (None, None, None) => {
                return Err(invalid(
                    key("secret"),
                    "missing: set secret, secret_file or secret_env",
                ));
            }
            _ => {
                return Err(invalid(
                    key("secret"),
                    "set only one of secret, secret_file, secret_env",
                ));
            }
        };
        if secret.expose_secret().is_empty() {
            return Err(invalid(key("secret"), "must not be empty"));
        }
        resolved.push(App {
            appid: app.appid.clone(),
            secret,
            access_token: app.access_token,
        });
    }
    Ok(resolved)
}
