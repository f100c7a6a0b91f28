//! `[session]`: lifetimes and the bound on sessions per user.

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
        Ok(())
    }
}
