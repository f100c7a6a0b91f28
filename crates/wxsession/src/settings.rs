//! Configuration: the TOML file, `WXSESSION__SECTION__KEY` overrides, and strict validation.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize, Serializer};

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
    /// The mini-programs served.
    #[serde(default)]
    pub apps: Vec<AppSettings>,
}

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

/// `store.backend`
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Redis: any number of replicas.
    Redis,
    /// In-process: one replica only, for dev and tests.
    Memory,
}

/// `store.mode`
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One Redis (or a managed endpoint).
    Standalone,
    /// Redis Cluster.
    Cluster,
    /// Redis Sentinel.
    Sentinel,
}

/// `store.connection`
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Connection {
    /// One multiplexed connection per replica: concurrent requests' commands are pipelined on it.
    #[default]
    Multiplexed,
    /// A pool of `pool_size` connections, one per in-flight operation.
    Pool,
}

/// `[store]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// `redis` or `memory`.
    pub backend: Backend,
    /// `standalone`, `cluster` or `sentinel`.
    pub mode: Mode,
    /// Standalone URL; `rediss://` for TLS.
    #[serde(serialize_with = "redact_url")]
    pub url: String,
    /// Cluster seed nodes.
    #[serde(serialize_with = "redact_urls")]
    pub urls: Vec<String>,
    /// Sentinel addresses.
    #[serde(serialize_with = "redact_urls")]
    pub sentinels: Vec<String>,
    /// Sentinel master name.
    pub master_name: Option<String>,
    /// Prefix of every key.
    pub key_prefix: String,
    /// `multiplexed` (default) or `pool`.
    pub connection: Connection,
    /// Connections per replica with `connection = "pool"`.
    pub pool_size: usize,
    /// Deadline for one store operation, pool wait included.
    pub timeout_ms: u64,
    /// Files holding 32-byte keys (base64 or hex) that encrypt `session_key` at rest; the first
    /// encrypts, all decrypt. Empty: stored as WeChat sent it.
    pub key_encryption_key_files: Vec<PathBuf>,
    /// A PEM file of CA certificates to trust for `rediss://` (multiplexed connection only).
    pub tls_ca_file: Option<PathBuf>,
    /// Refuse `session_key` values stored in plaintext (once a migration to
    /// `key_encryption_key_files` is complete).
    pub require_encrypted_keys: bool,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            backend: Backend::Redis,
            mode: Mode::Standalone,
            url: "redis://127.0.0.1:6379/0".into(),
            urls: Vec::new(),
            sentinels: Vec::new(),
            master_name: None,
            key_prefix: "wxs".into(),
            connection: Connection::Multiplexed,
            pool_size: 32,
            timeout_ms: 1000,
            key_encryption_key_files: Vec::new(),
            tls_ca_file: None,
            require_encrypted_keys: false,
        }
    }
}

/// `[wechat]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WechatSettings {
    /// WeChat's API base URL (the simulator's in tests).
    pub api_base: String,
    /// Timeout for one attempt.
    pub timeout_ms: u64,
    /// Connect timeout.
    pub connect_timeout_ms: u64,
    /// Extra attempts for `-1`, 5xx and connection errors.
    pub retries: u32,
    /// WeChat calls in flight per app on one replica; the excess is refused with `503`.
    pub max_concurrent_calls_per_app: usize,
    /// Allow `http://` for `api_base` (the simulator); production WeChat is `https` only.
    pub allow_insecure_http: bool,
}

impl Default for WechatSettings {
    fn default() -> Self {
        Self {
            api_base: "https://api.weixin.qq.com".into(),
            timeout_ms: 3000,
            connect_timeout_ms: 1000,
            retries: 2,
            max_concurrent_calls_per_app: 64,
            allow_insecure_http: false,
        }
    }
}

/// `[session]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Sliding idle expiry.
    pub idle_ttl_secs: u64,
    /// Absolute cap since login.
    pub max_lifetime_secs: u64,
    /// Live sessions one user may have in one app; a login beyond it revokes the oldest.
    pub max_sessions_per_user: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_ttl_secs: 7200,
            max_lifetime_secs: 2_592_000,
            max_sessions_per_user: 32,
        }
    }
}

/// `[limits]` (0 disables a limit)
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSettings {
    /// Logins per client IP per minute, across all replicas.
    pub login_per_ip_per_minute: u64,
    /// Failed decrypts per session per minute, across all replicas.
    pub decrypt_failures_per_session_per_minute: u64,
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsSettings {
    fn default() -> Self {
        Self {
            // Ten a second from one address hurts no carrier NAT and stops a single host from
            // spending the app's WeChat quota with made-up codes.
            login_per_ip_per_minute: 600,
            decrypt_failures_per_session_per_minute: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

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

/// An app with its secret resolved.
#[derive(Debug, Clone)]
pub struct App {
    /// The appid.
    pub appid: String,
    /// The app secret.
    pub secret: SecretString,
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
        parse_addr("server.bind", &self.server.bind)?;
        if let Some(bind) = &self.server.metrics_bind {
            parse_addr("server.metrics_bind", bind)?;
        }
        if let Some(bind) = &self.server.admin_bind {
            parse_addr("server.admin_bind", bind)?;
        }
        positive(
            "server.request_read_timeout_ms",
            self.server.request_read_timeout_ms,
        )?;
        if self.server.workers == Some(0) {
            return Err(invalid("server.workers", "must be at least 1"));
        }
        self.validate_store()?;
        let api = &self.wechat.api_base;
        if !(api.starts_with("http://") || api.starts_with("https://"))
            || reqwest_url_ok(api).is_none()
        {
            return Err(invalid("wechat.api_base", "must be an http(s) URL"));
        }
        if api.starts_with("http://") && !self.wechat.allow_insecure_http {
            return Err(invalid(
                "wechat.api_base",
                "must be https (set wechat.allow_insecure_http = true for a local simulator)",
            ));
        }
        if self.wechat.max_concurrent_calls_per_app == 0 {
            return Err(invalid(
                "wechat.max_concurrent_calls_per_app",
                "must be at least 1",
            ));
        }
        positive("wechat.timeout_ms", self.wechat.timeout_ms)?;
        positive("wechat.connect_timeout_ms", self.wechat.connect_timeout_ms)?;
        if self.wechat.retries > 10 {
            return Err(invalid("wechat.retries", "must be at most 10"));
        }
        positive("session.idle_ttl_secs", self.session.idle_ttl_secs)?;
        positive("session.max_lifetime_secs", self.session.max_lifetime_secs)?;
        if !(1..=1000).contains(&self.session.max_sessions_per_user) {
            return Err(invalid(
                "session.max_sessions_per_user",
                "must be between 1 and 1000",
            ));
        }
        if self.store.require_encrypted_keys && self.store.key_encryption_key_files.is_empty() {
            return Err(invalid(
                "store.require_encrypted_keys",
                "needs store.key_encryption_key_files",
            ));
        }
        if self.admin.token.is_some() && self.admin.token_file.is_some() {
            return Err(invalid("admin", "set token or token_file, not both"));
        }
        self.admin_token()?;
        self.apps()?;
        self.trusted_proxies()?;
        self.keyring()?;
        if let Some(path) = &self.store.tls_ca_file {
            if self.store.connection == Connection::Pool {
                return Err(invalid(
                    "store.tls_ca_file",
                    "needs store.connection = \"multiplexed\"",
                ));
            }
            std::fs::read(path).map_err(|e| {
                invalid(
                    "store.tls_ca_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
        }
        Ok(())
    }

    /// `limits.trusted_proxies`, parsed.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.limits
            .trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, text)| {
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        invalid(
                            format!("limits.trusted_proxies[{i}]"),
                            format!("not an IP address or CIDR: {text:?}"),
                        )
                    })
            })
            .collect()
    }

    /// The key ring from `store.key_encryption_key_files`.
    pub fn keyring(&self) -> Result<crate::keyring::KeyRing, ConfigError> {
        let mut texts = Vec::new();
        for (i, path) in self.store.key_encryption_key_files.iter().enumerate() {
            let key = format!("store.key_encryption_key_files[{i}]");
            texts.push(read_secret_file(&key, path)?);
        }
        crate::keyring::KeyRing::new(texts.iter().map(|t| t.expose_secret()))
            .map(|ring| ring.require_encrypted(self.store.require_encrypted_keys))
            .map_err(|e| invalid("store.key_encryption_key_files", e.to_string()))
    }

    fn validate_store(&self) -> Result<(), ConfigError> {
        let store = &self.store;
        let prefix_ok = !store.key_prefix.is_empty()
            && store.key_prefix.len() <= 64
            && store
                .key_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
        if !prefix_ok {
            return Err(invalid(
                "store.key_prefix",
                "must be 1-64 characters of A-Z a-z 0-9 - _ . :",
            ));
        }
        if !(1..=1024).contains(&store.pool_size) {
            return Err(invalid("store.pool_size", "must be between 1 and 1024"));
        }
        positive("store.timeout_ms", store.timeout_ms)?;
        if store.backend == Backend::Memory {
            return Ok(());
        }
        if store.mode != Mode::Standalone && store.connection == Connection::Pool {
            return Err(invalid(
                "store.connection",
                "cluster and sentinel modes use multiplexed connections",
            ));
        }
        match store.mode {
            Mode::Standalone => redis_url("store.url", &store.url),
            Mode::Cluster => {
                if store.urls.is_empty() {
                    return Err(invalid("store.urls", "cluster mode needs seed node URLs"));
                }
                for (i, url) in store.urls.iter().enumerate() {
                    redis_url(&format!("store.urls[{i}]"), url)?;
                }
                Ok(())
            }
            Mode::Sentinel => {
                if store.sentinels.is_empty() {
                    return Err(invalid(
                        "store.sentinels",
                        "sentinel mode needs sentinel URLs",
                    ));
                }
                for (i, url) in store.sentinels.iter().enumerate() {
                    redis_url(&format!("store.sentinels[{i}]"), url)?;
                }
                if store.master_name.as_deref().is_none_or(str::is_empty) {
                    return Err(invalid(
                        "store.master_name",
                        "sentinel mode needs the master's name",
                    ));
                }
                if store.tls_ca_file.is_some() {
                    return Err(invalid(
                        "store.tls_ca_file",
                        "not supported in sentinel mode: use certificates the system trusts",
                    ));
                }
                redis_url("store.url", &store.url)
            }
        }
    }

    /// The admin token, when the admin API is enabled.
    pub fn admin_token(&self) -> Result<Option<SecretString>, ConfigError> {
        let token = match (&self.admin.token, &self.admin.token_file) {
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

    /// The apps with their secrets resolved from `secret`, `secret_file` or `secret_env`.
    pub fn apps(&self) -> Result<Vec<App>, ConfigError> {
        if self.apps.is_empty() {
            return Err(invalid("apps", "configure at least one [[apps]] entry"));
        }
        let mut seen = HashSet::new();
        let mut apps = Vec::with_capacity(self.apps.len());
        for (i, app) in self.apps.iter().enumerate() {
            let key = |field: &str| format!("apps[{i}].{field}");
            if !crate::ids::is_valid_id(&app.appid) {
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
            apps.push(App {
                appid: app.appid.clone(),
                secret,
            });
        }
        Ok(apps)
    }

    /// The effective configuration as TOML, secrets and URL passwords redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml_string(self)
    }

    /// One store operation's deadline.
    pub fn store_timeout(&self) -> Duration {
        Duration::from_millis(self.store.timeout_ms)
    }
}

fn toml_string(settings: &Settings) -> String {
    toml::to_string_pretty(settings).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
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

fn reqwest_url_ok(url: &str) -> Option<()> {
    let rest = url.split_once("://")?.1;
    (!rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace))
        .then_some(())
}

fn redis_url(key: &str, url: &str) -> Result<(), ConfigError> {
    use redis::IntoConnectionInfo as _;
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(invalid(key, "must start with redis:// or rediss://"));
    }
    url.into_connection_info()
        .map(|_| ())
        .map_err(|_| invalid(key, "not a valid Redis URL"))
}

fn read_secret_file(key: &str, path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(key, format!("cannot read {}: {e}", path.display())))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(key, format!("{} is empty", path.display())));
    }
    Ok(SecretString::from(text.to_owned()))
}

fn redact_opt<S: Serializer>(value: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

/// Hides the password of a Redis URL.
pub fn redact_url_text(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or("", |(u, _)| u);
            format!("{scheme}://{user}:[redacted]@{host}")
        }
        None => url.to_owned(),
    }
}

fn redact_url<S: Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url_text(value))
}

fn redact_urls<S: Serializer>(values: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|v| redact_url_text(v)))
}
