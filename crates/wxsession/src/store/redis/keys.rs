//! The whole Redis key layout, in one place. Keys, all with a TTL and all valid on Redis
//! Cluster (a user's keys and sessions list share one hash slot through `{appid:openid}`):
//!
//! - `{prefix}:s:<id>` → `created_at|appid|openid|unionid`, where `<id>` is base64url of the first
//!   128 bits of sha256(token); TTL: the idle TTL, capped by `created_at + max_lifetime`
//! - `{prefix}:u:{appid:openid}` → hash: `k0` (newest session_key), `k1` (previous) and one
//!   field `s:<id>` → creation time (ms) per session of the user (for log-out-everywhere; at
//!   most `session.max_sessions_per_user`, the oldest evicted; pruned of sessions past the
//!   absolute lifetime, and of those dead of idleness when the bound is reached); TTL: max
//!   lifetime
//! - `{prefix}:c:<sha256(appid, code)>` → `p` while exchanging, then the sealed answer
//! - `{prefix}:rl:<what>:<minute>` → rate-limit counters, expiring with their window
//! - `{prefix}:at:{appid}` → the app's access_token (TTL: its life minus a 300 s margin), and
//!   `{prefix}:at:{appid}:dead` → the last token WeChat refused (5 minutes)
//! - `{prefix}:un:{unionid}` → hash: one field `appid:openid` → last login (unix s) per account
//!   of the person; TTL: max lifetime from the newest login; entries older than that pruned
//! - `{prefix}:lk:<name>` → locks: one access_token refresher per app, the per-app budget of
//!   `force_refresh` (30 s)

use crate::domain::token::SessionId;

/// Builds every key under one prefix.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// `{prefix}:s:<id>`
    pub(super) fn session(&self, id: &SessionId) -> String {
        format!("{}:s:{}", self.prefix, id.as_str())
    }

    /// `{prefix}:u:{appid:openid}`
    pub(super) fn user(&self, appid: &str, openid: &str) -> String {
        format!("{}:u:{{{appid}:{openid}}}", self.prefix)
    }

    /// `{prefix}:c:<code id>`
    pub(super) fn code(&self, code_id: &str) -> String {
        format!("{}:c:{code_id}", self.prefix)
    }

    /// `{prefix}:rl:<what>`
    pub(super) fn counter(&self, what: &str) -> String {
        format!("{}:rl:{what}", self.prefix)
    }

    /// `{prefix}:at:{appid}`: the app's access_token (TTL: its life minus the refresh margin).
    pub(super) fn access_token(&self, appid: &str) -> String {
        format!("{}:at:{{{appid}}}", self.prefix)
    }

    /// `{prefix}:at:{appid}:dead`: a token WeChat refused (5 minutes), so that a fetch that
    /// returns it again is known to need `force_refresh`.
    pub(super) fn dead_access_token(&self, appid: &str) -> String {
        format!("{}:at:{{{appid}}}:dead", self.prefix)
    }

    /// `{prefix}:un:{unionid}`: the person's accounts.
    pub(super) fn union(&self, unionid: &str) -> String {
        format!("{}:un:{{{unionid}}}", self.prefix)
    }

    /// `{prefix}:lk:<name>`: a lock (`SET NX EX`), e.g. one refresher per app.
    pub(super) fn lock(&self, name: &str) -> String {
        format!("{}:lk:{name}", self.prefix)
    }

    /// The session of a user-hash field `s:<id>`; `None` for the other fields.
    pub(super) fn session_of_field(&self, field: &str) -> Option<String> {
        let id = field.strip_prefix("s:")?;
        Some(self.session(&SessionId::from_stored(id.to_owned())))
    }
}

/// The field of a session in its user's hash.
pub(super) fn session_field(id: &SessionId) -> String {
    format!("s:{}", id.as_str())
}
