//! `[limits]`: rate limits and the proxies whose `X-Forwarded-For` is believed.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// `[limits]` (0 disables a limit)
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSettings {
    /// Logins per client IP per minute, across all replicas.
    pub login_per_ip_per_minute: u64,
    /// Browser logins per client IP per minute, across all replicas: each start
    /// (`/v1/web/{appid}/login`) and each callback counts.
    pub web_login_per_ip_per_minute: u64,
    /// Phone-number lookups per session per minute, across all replicas.
    pub phone_lookups_per_session_per_minute: u64,
    /// `key-status` checks per session per minute, across all replicas.
    pub key_status_per_session_per_minute: u64,
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
            web_login_per_ip_per_minute: 600,
            // A user taps the phone button a few times at most; each lookup and each
            // key-status check is one more call on the app's API quota. (WeChat charges for the
            // phone button when it succeeds, not for the lookup.)
            phone_lookups_per_session_per_minute: 10,
            key_status_per_session_per_minute: 10,
            decrypt_failures_per_session_per_minute: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

impl LimitsSettings {
    /// `limits.trusted_proxies`, parsed.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
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
}
