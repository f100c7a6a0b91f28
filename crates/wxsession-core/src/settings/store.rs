//! `[store]`: where sessions live, how Redis is reached, `session_key` encryption at rest.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use super::redis_url::redis_url;
use super::secrets::{read_secret_file, redact_url, redact_urls};
use super::{ConfigError, invalid, positive};

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
    /// `check` (default): records that cannot be rebuilt (runtime apps, a platform's refresh
    /// tokens) are written only when Redis keeps them (`INFO persistence` shows AOF on);
    /// `trusted`: the operator vouches for it (a managed Redis with its own snapshots).
    pub durability: Durability,
    /// A key-encryption key made up at start-up: only `dev` sets it (one process, nothing kept).
    #[serde(skip)]
    pub dev_key_encryption_key: Option<secrecy::SecretString>,
    /// How often a replica reads the app registry's change log, in milliseconds: a change made
    /// on another replica is served here within about this long.
    pub apps_poll_interval_ms: u64,
    /// How many bucket hashes hold the users' and the persons' entries (4096 by default, what
    /// every earlier release used): about the expected users / 100, so that a bucket stays a
    /// compact listpack under Redis' default `hash-max-listpack-entries 128`.
    pub buckets: u32,
    /// While `buckets` changes: the other count, whose buckets are read too (written only under
    /// `buckets`). See "Changing the bucket count" in the docs.
    pub also_read_buckets: Option<u32>,
}

/// The most buckets `store.buckets` accepts (≈ 1.6 billion users at 100 a bucket).
pub const MAX_BUCKETS: u32 = 1 << 24;

/// `store.durability`
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Ask Redis (`INFO persistence`: `aof_enabled:1`) before each durable write.
    #[default]
    Check,
    /// Trust the operator: the store keeps what it is given.
    Trusted,
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
            durability: Durability::Check,
            dev_key_encryption_key: None,
            apps_poll_interval_ms: 500,
            buckets: 4096,
            also_read_buckets: None,
        }
    }
}

impl StoreSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let store = self;
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
        if !(50..=1000).contains(&store.apps_poll_interval_ms) {
            return Err(invalid(
                "store.apps_poll_interval_ms",
                "must be between 50 and 1000 (a change reaches every replica within 2 s)",
            ));
        }
        for (key, count) in [
            ("store.buckets", Some(store.buckets)),
            ("store.also_read_buckets", store.also_read_buckets),
        ] {
            if count.is_some_and(|n| !(1..=MAX_BUCKETS).contains(&n)) {
                return Err(invalid(
                    key,
                    format!("must be between 1 and {MAX_BUCKETS} (about the expected users / 100)"),
                ));
            }
        }
        if store.also_read_buckets == Some(store.buckets) {
            return Err(invalid(
                "store.also_read_buckets",
                "equals store.buckets: leave it out once a change of the bucket count is over",
            ));
        }
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

    /// The checks that need files or combinations of keys.
    pub(super) fn validate_files(&self) -> Result<(), ConfigError> {
        if self.require_encrypted_keys && self.key_encryption_key_files.is_empty() {
            return Err(invalid(
                "store.require_encrypted_keys",
                "needs store.key_encryption_key_files",
            ));
        }
        self.keyring()?;
        if let Some(path) = &self.tls_ca_file {
            if self.connection == Connection::Pool {
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

    /// The key ring from `store.key_encryption_key_files`.
    pub fn keyring(&self) -> Result<crate::domain::keys::KeyRing, ConfigError> {
        let mut texts = Vec::new();
        for (i, path) in self.key_encryption_key_files.iter().enumerate() {
            let key = format!("store.key_encryption_key_files[{i}]");
            texts.push(read_secret_file(&key, path)?);
        }
        texts.extend(self.dev_key_encryption_key.clone());
        crate::domain::keys::KeyRing::new(texts.iter().map(|t| t.expose_secret()))
            .map(|ring| ring.require_encrypted(self.require_encrypted_keys))
            .map_err(|e| invalid("store.key_encryption_key_files", e.to_string()))
    }

    /// One store operation's deadline.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}
