//! `[phone]`: remembering verified numbers (so that a known user is not shown the paid button
//! again) and watching the app's phone-number quota.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// The longest a verified number may be remembered.
const MAX_REMEMBER_DAYS: u64 = 3650;

/// `[phone]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhoneSettings {
    /// Days a verified number is kept per (appid, openid), sealed under
    /// `store.key_encryption_key_files`, counted from its verification. 0: not kept (off).
    pub remember_days: u64,
    /// Seconds between two readings of the phone-number quota (`wxa/charge/usage/get`), by one
    /// replica for the fleet, for every app with an access_token. 0: not read (off).
    pub quota_poll_secs: u64,
    /// The `spuId` of the phone-number package to read (the one whose button the app shows).
    pub quota_spu_id: String,
}

impl Default for PhoneSettings {
    fn default() -> Self {
        Self {
            remember_days: 0,
            quota_poll_secs: 600,
            quota_spu_id: "10000077".into(),
        }
    }
}

impl PhoneSettings {
    pub(super) fn validate(&self, has_key_encryption_keys: bool) -> Result<(), ConfigError> {
        if self.remember_days > MAX_REMEMBER_DAYS {
            return Err(invalid(
                "phone.remember_days",
                format!("must be between 0 and {MAX_REMEMBER_DAYS}"),
            ));
        }
        if self.remember_days > 0 && !has_key_encryption_keys {
            return Err(invalid(
                "phone.remember_days",
                "needs store.key_encryption_key_files: a remembered number is kept sealed under \
                 them, never in the clear (32 random bytes per file, e.g. `openssl rand -base64 \
                 32 > kek.key`), or set phone.remember_days = 0",
            ));
        }
        let spu_ok = !self.quota_spu_id.is_empty()
            && self.quota_spu_id.len() <= 32
            && self.quota_spu_id.bytes().all(|b| b.is_ascii_digit());
        if !spu_ok {
            return Err(invalid(
                "phone.quota_spu_id",
                "must be WeChat's spuId of the package: 1-32 digits",
            ));
        }
        Ok(())
    }

    /// How long a verified number is kept, in seconds (0: not kept).
    pub fn remember_secs(&self) -> u64 {
        self.remember_days * 86_400
    }
}
