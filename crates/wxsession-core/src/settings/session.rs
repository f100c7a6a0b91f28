//! `[session]`: lifetimes, the bound on sessions per user, and the local validation cache.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid, positive};

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
    /// Answer validations from this replica's memory while Redis' change feed (client
    /// tracking) is live (`store::cache`). Redis standalone and Sentinel; ignored with Cluster
    /// and the memory store.
    pub local_cache: bool,
    /// The most sessions the local cache holds; the one filled longest ago goes first.
    pub local_cache_entries: usize,
    /// A session in use is extended in Redis at most once per this many seconds (absent: a
    /// tenth of `idle_ttl_secs`; 0: on every use, which also turns the local cache off).
    pub touch_interval_secs: Option<u64>,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_ttl_secs: 7200,
            max_lifetime_secs: 2_592_000,
            max_sessions_per_user: 32,
            local_cache: true,
            local_cache_entries: 100_000,
            touch_interval_secs: None,
        }
    }
}

impl SessionSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        positive("session.idle_ttl_secs", self.idle_ttl_secs)?;
        positive("session.max_lifetime_secs", self.max_lifetime_secs)?;
        if !(1..=1000).contains(&self.max_sessions_per_user) {
            return Err(invalid(
                "session.max_sessions_per_user",
                "must be between 1 and 1000",
            ));
        }
        if !(1..=10_000_000).contains(&self.local_cache_entries) {
            return Err(invalid(
                "session.local_cache_entries",
                "must be between 1 and 10000000",
            ));
        }
        if self
            .touch_interval_secs
            .is_some_and(|t| t >= self.idle_ttl_secs)
        {
            return Err(invalid(
                "session.touch_interval_secs",
                "must be less than session.idle_ttl_secs",
            ));
        }
        Ok(())
    }

    /// How often a session in use is extended in Redis, in seconds (0: on every use).
    pub fn touch_interval(&self) -> u64 {
        self.touch_interval_secs.unwrap_or(self.idle_ttl_secs / 10)
    }
}
