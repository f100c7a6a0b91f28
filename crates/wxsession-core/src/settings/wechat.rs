//! `[wechat]`: how WeChat is reached.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid, positive};

/// `[wechat]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WechatSettings {
    /// WeChat's API base URL (the simulator's in tests).
    pub api_base: String,
    /// Where browsers are sent for WeChat's OAuth pages (`connect/qrconnect`,
    /// `connect/oauth2/authorize`): the simulator's in tests and `dev`.
    pub open_base: String,
    /// Where a merchant's browser is sent for the third-party platform's authorization page
    /// (`cgi-bin/componentloginpage`): the simulator's in tests and `dev`.
    pub mp_base: String,
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
    /// `force_refresh`es of an app's access_token per UTC day, across the fleet (WeChat
    /// allows 20 a day in its own day); past them a refused token is `503` until the next day.
    pub force_refresh_per_app_per_day: u64,
}

impl Default for WechatSettings {
    fn default() -> Self {
        Self {
            api_base: "https://api.weixin.qq.com".into(),
            open_base: "https://open.weixin.qq.com".into(),
            mp_base: "https://mp.weixin.qq.com".into(),
            timeout_ms: 3000,
            connect_timeout_ms: 1000,
            retries: 2,
            max_concurrent_calls_per_app: 64,
            allow_insecure_http: false,
            force_refresh_per_app_per_day: 10,
        }
    }
}

impl WechatSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, base) in [
            ("wechat.api_base", &self.api_base),
            ("wechat.open_base", &self.open_base),
            ("wechat.mp_base", &self.mp_base),
        ] {
            if !(base.starts_with("http://") || base.starts_with("https://"))
                || reqwest_url_ok(base).is_none()
            {
                return Err(invalid(key, "must be an http(s) URL"));
            }
            if base.starts_with("http://") && !self.allow_insecure_http {
                return Err(invalid(
                    key,
                    "must be https (set wechat.allow_insecure_http = true for a local simulator)",
                ));
            }
        }
        if self.max_concurrent_calls_per_app == 0 {
            return Err(invalid(
                "wechat.max_concurrent_calls_per_app",
                "must be at least 1",
            ));
        }
        positive("wechat.timeout_ms", self.timeout_ms)?;
        positive("wechat.connect_timeout_ms", self.connect_timeout_ms)?;
        if self.force_refresh_per_app_per_day > 20 {
            return Err(invalid(
                "wechat.force_refresh_per_app_per_day",
                "must be at most 20 (WeChat's own daily limit)",
            ));
        }
        if self.retries > 10 {
            return Err(invalid("wechat.retries", "must be at most 10"));
        }
        Ok(())
    }
}

fn reqwest_url_ok(url: &str) -> Option<()> {
    let rest = url.split_once("://")?.1;
    (!rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace))
        .then_some(())
}
