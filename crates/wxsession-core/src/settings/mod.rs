//! Configuration: the TOML file, `WXSESSION__SECTION__KEY` overrides, and strict validation.
//! One file per section; each section validates itself and names the key at fault.

mod admin;
mod apps;
mod component;
mod limits;
mod metrics;
mod phone;
mod redis_url;
mod secrets;
mod server;
mod session;
mod store;
mod web;
mod wechat;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use self::admin::{AdminSettings, CredentialReaderSettings, ReaderCredential};
pub use self::apps::{AccessTokenMode, App, AppKind, AppSettings, OAuthScope};
pub use self::component::{Component, ComponentSettings};
pub use self::limits::LimitsSettings;
pub use self::metrics::MetricsSettings;
pub use self::phone::PhoneSettings;
pub use self::secrets::redact_url_text;
pub use self::server::ServerSettings;
pub use self::session::SessionSettings;
pub use self::store::{Backend, Connection, Durability, MAX_BUCKETS, Mode, StoreSettings};
pub use self::web::WebSettings;
pub use self::wechat::WechatSettings;

/// Everything `wxsession serve` reads. Unknown keys are errors.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listening addresses and shutdown.
    #[serde(default)]
    pub server: ServerSettings,
    /// Where sessions live.
    #[serde(default)]
    pub store: StoreSettings,
    /// How WeChat is reached.
    #[serde(default)]
    pub wechat: WechatSettings,
    /// Session lifetimes.
    #[serde(default)]
    pub session: SessionSettings,
    /// The admin API.
    #[serde(default)]
    pub admin: AdminSettings,
    /// Rate limits.
    #[serde(default)]
    pub limits: LimitsSettings,
    /// Browser logins.
    #[serde(default)]
    pub web: WebSettings,
    /// Metric labels.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// Remembered phone numbers and the phone-number quota.
    #[serde(default)]
    pub phone: PhoneSettings,
    /// The third-party platform, when the service runs one (merchants' apps, §16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentSettings>,
    /// The apps served: mini-programs, official accounts, websites, mobile apps.
    #[serde(default)]
    pub apps: Vec<AppSettings>,
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be read or parsed.
    #[error(transparent)]
    Load(#[from] config::ConfigError),
    /// A value is invalid.
    #[error("{key}: {message}")]
    Invalid {
        /// The dotted key, e.g. `store.url` or `apps[1].appid`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

impl Settings {
    /// Reads `path` (TOML), then applies `WXSESSION__SECTION__KEY` environment overrides, then
    /// validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let settings: Self = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("WXSESSION")
                    .prefix_separator("__")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("store.urls")
                    .with_list_parse_key("store.sentinels")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every value; the first problem is returned, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate()?;
        self.store.validate()?;
        self.wechat.validate()?;
        self.session.validate()?;
        self.store.validate_files()?;
        self.phone
            .validate(!self.store.key_encryption_key_files.is_empty())?;
        self.admin.validate()?;
        self.web.validate()?;
        if let Some(component) = &self.component {
            component.validate(
                !self.store.key_encryption_key_files.is_empty()
                    || self.store.dev_key_encryption_key.is_some(),
                self.server.public_url.is_some(),
            )?;
        }
        let apps = self.apps()?;
        if apps.is_empty() && self.admin.token()?.is_none() && self.component.is_none() {
            return Err(invalid(
                "apps",
                "configure at least one [[apps]] entry, or enable the admin API (admin.token_file) \
                 to add apps at runtime",
            ));
        }
        self.metrics.validate()?;
        self.admin.validate_reader_apps(&apps)?;
        if let Some(web_app) = apps.iter().position(|a| a.kind.is_web())
            && self.server.public_url.is_none()
        {
            return Err(invalid(
                "server.public_url",
                format!(
                    "required: apps[{web_app}] is a {} app, and WeChat sends its logins back \
                     to {{server.public_url}}/v1/web/{{appid}}/callback",
                    apps.get(web_app).map_or("web", |a| a.kind.as_str())
                ),
            ));
        }
        let state_keys = self.web.state_keys()?;
        if let Some(web_app) = apps.iter().position(|a| a.kind.is_web())
            && !state_keys.is_enabled()
        {
            return Err(invalid(
                "web.state_key_files",
                format!(
                    "required: apps[{web_app}] is a web app, and a started login is sealed into \
                     its state cookie under a key every replica shares (32 random bytes, e.g. \
                     `openssl rand -base64 32 > state.key`)"
                ),
            ));
        }
        self.trusted_proxies()?;
        Ok(())
    }

    /// `limits.trusted_proxies`, parsed.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.limits.trusted_proxies()
    }

    /// The key ring from `store.key_encryption_key_files`.
    pub fn keyring(&self) -> Result<crate::domain::keys::KeyRing, ConfigError> {
        self.store.keyring()
    }

    /// The third-party platform, secrets read, when configured.
    pub fn component(&self) -> Result<Option<Component>, ConfigError> {
        self.component
            .as_ref()
            .map(ComponentSettings::resolve)
            .transpose()
    }

    /// The admin token, when the admin API is enabled.
    pub fn admin_token(&self) -> Result<Option<SecretString>, ConfigError> {
        self.admin.token()
    }

    /// The apps with their secrets resolved from `secret`, `secret_file` or `secret_env`.
    pub fn apps(&self) -> Result<Vec<App>, ConfigError> {
        apps::resolve(&self.apps)
    }

    /// The effective configuration as TOML, secrets and URL passwords redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }

    /// One store operation's deadline.
    pub fn store_timeout(&self) -> Duration {
        self.store.timeout()
    }
}

fn positive(key: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(invalid(key, "must be greater than 0"));
    }
    Ok(())
}

fn parse_addr(key: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .parse()
        .map_err(|_| invalid(key, format!("not an ip:port address: {value:?}")))
}
