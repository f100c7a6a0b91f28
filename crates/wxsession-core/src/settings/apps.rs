//! `[[apps]]`: the apps served — mini-programs, official accounts, websites, mobile apps — with
//! their secrets resolved.

use std::collections::HashSet;
use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::secrets::{read_secret_file, redact_opt};
use super::{ConfigError, invalid};
use crate::domain::ids::AppId;

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
    /// How the app's access_token is fetched (`stable`, `classic`) or `off`. Default: `stable`
    /// for mini-programs and official accounts; websites and mobile apps have none.
    #[serde(default)]
    pub access_token: Option<AccessTokenMode>,
    /// What kind of WeChat app it is (default `miniprogram`).
    #[serde(default)]
    pub kind: AppKind,
    /// For an `official_account`: the OAuth scope its logins ask for (default
    /// `snsapi_userinfo`; `snsapi_base` gives no unionid unless the user follows the account).
    #[serde(default)]
    pub scope: Option<OAuthScope>,
}

/// `apps[].kind`: how users log in to the app.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// `wx.login` codes (`jscode2session`), bearer tokens, a `session_key`.
    #[default]
    Miniprogram,
    /// A mobile app's WeChat SDK code (`sns/oauth2/access_token`), bearer tokens.
    Mobile,
    /// A website's QR login (`connect/qrconnect`), cookie sessions.
    Website,
    /// An official account's page inside WeChat (`connect/oauth2/authorize`), cookie sessions.
    OfficialAccount,
}

impl AppKind {
    /// The config and API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Miniprogram => "miniprogram",
            Self::Mobile => "mobile",
            Self::Website => "website",
            Self::OfficialAccount => "official_account",
        }
    }

    /// Whether users log in through the browser flow (`/v1/web/…`).
    pub const fn is_web(self) -> bool {
        matches!(self, Self::Website | Self::OfficialAccount)
    }

    /// Whether its sessions hold a `session_key` (decrypt, phone, key status).
    pub const fn has_session_key(self) -> bool {
        matches!(self, Self::Miniprogram)
    }
}

/// `apps[].scope` of an official account.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OAuthScope {
    /// The openid only, silently.
    SnsapiBase,
    /// The openid, the unionid and the profile, after the user agrees.
    #[default]
    SnsapiUserinfo,
}

impl OAuthScope {
    /// WeChat's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SnsapiBase => "snsapi_base",
            Self::SnsapiUserinfo => "snsapi_userinfo",
        }
    }
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
    pub appid: AppId,
    /// The app secret.
    pub secret: SecretString,
    /// How its access_token is fetched.
    pub access_token: AccessTokenMode,
    /// What kind of app.
    pub kind: AppKind,
    /// The OAuth scope of its browser logins (`snsapi_login` for websites).
    pub scope: &'static str,
}

/// The apps with their secrets resolved from `secret`, `secret_file` or `secret_env`.
pub(super) fn resolve(apps: &[AppSettings]) -> Result<Vec<App>, ConfigError> {
    let mut seen = HashSet::new();
    let mut resolved = Vec::with_capacity(apps.len());
    for (i, app) in apps.iter().enumerate() {
        let key = |field: &str| format!("apps[{i}].{field}");
        let Ok(appid) = AppId::parse(&app.appid) else {
            return Err(invalid(
                key("appid"),
                "must be 1-64 characters of A-Z a-z 0-9 _ -",
            ));
        };
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
        let access_token = match (app.kind, app.access_token) {
            (AppKind::Miniprogram | AppKind::OfficialAccount, mode) => mode.unwrap_or_default(),
            (_, None | Some(AccessTokenMode::Off)) => AccessTokenMode::Off,
            (kind, Some(_)) => {
                return Err(invalid(
                    key("access_token"),
                    format!(
                        "a {} app has no access_token: remove the key",
                        kind.as_str()
                    ),
                ));
            }
        };
        let scope = match (app.kind, app.scope) {
            (AppKind::OfficialAccount, scope) => scope.unwrap_or_default().as_str(),
            (_, Some(_)) => {
                return Err(invalid(
                    key("scope"),
                    "only an official_account app has a scope",
                ));
            }
            (AppKind::Website, None) => "snsapi_login",
            (_, None) => "",
        };
        resolved.push(App {
            appid,
            secret,
            access_token,
            kind: app.kind,
            scope,
        });
    }
    Ok(resolved)
}
