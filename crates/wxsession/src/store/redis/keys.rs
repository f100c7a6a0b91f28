//! The whole Redis key layout, in one place. Keys, all with a TTL and all valid on Redis
//! Cluster (every script touches one key):
//!
//! - `{prefix}:s:<id>` → `created_at|appid|openid|unionid`, where `<id>` is base64url of the first
//!   128 bits of sha256(token); TTL: the idle TTL, capped by `created_at + max_lifetime`
//! - `{prefix}:ub:{<bucket>}` → hash of users' entries: the newest and previous session_key and
//!   the user's sessions (for log-out-everywhere; at most `session.max_sessions_per_user`, the
//!   oldest evicted; pruned of sessions past the absolute lifetime at each login, and of those
//!   dead of idleness when the bound is reached); TTL: max lifetime from the bucket's last write
//!   ([`super::layout`] has the buckets and the entries' binary form)
//! - `{prefix}:ux:{<bucket>}` → hash of persons' entries (the unionid index): per account of the
//!   person its appid, openid and last login; TTL: max lifetime from the last write
//! - `{prefix}:c:<code id>` → `p` while exchanging, then the sealed answer; a code has two ids
//!   (legacy and HKDF) while their derivation changes, each a key of its own (`domain::once`)
//! - `{prefix}:rl:<what>:<minute>` → rate-limit counters, expiring with their window
//! - `{prefix}:at:{appid}` → the app's access_token (TTL: its life minus a 300 s margin), and
//!   `{prefix}:at:{appid}:dead` → the last token WeChat refused (5 minutes)
//! - `{prefix}:lk:<name>` → locks: one access_token refresher per app, the per-app budget of
//!   `force_refresh` (30 s), one phone-quota reader per app
//! - `{prefix}:ph:{appid:openid}` → a remembered phone number, sealed under the key-encryption
//!   keys (`domain::phone::remember` has its versioned form); TTL: `phone.remember_days` from
//!   its verification. Releases before 0.3 never read or write it.
//! - `{prefix}:pq:{appid}` → the app's last phone-quota reading (`v1|remaining|unix time`);
//!   TTL: a few polling periods
//!
//! Without a TTL — the app registry, durable (written only to a Redis that keeps it), all in
//! one Cluster slot (the `{apps}` hash tag) so that each change is one script:
//!
//! - `{prefix}:{apps}:rec` → hash appid → the app's record (format header, JSON, secret sealed)
//! - `{prefix}:{apps}:ids` → sorted set of the appids (all score 0: paged in appid order)
//! - `{prefix}:{apps}:rev` → the registry's revision, one more per change
//! - `{prefix}:{apps}:log` → stream of the changes, entry id `<rev>-0`, field `appid`; trimmed
//!   to about 10,000 entries (a replica further behind reads the whole registry again)
//!
//! - `{prefix}:{apps}:ticket` → the third-party platform's `component_verify_ticket` and when it
//!   was received (`domain::component::ticket`; the ticket sealed under the key-encryption keys).
//!   A merchant's refresh token lives in its app's record (sealed, `refresh_token`).
//!
//! Written by earlier versions and still read until they expire ([`super::legacy`]):
//! `{prefix}:u:{appid:openid}` (a hash per user) and `{prefix}:un:{unionid}` (a hash per person).

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

    /// The prefix every key starts with.
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `{prefix}:s:<id>`
    pub(super) fn session(&self, id: &SessionId) -> String {
        // On every validation: concatenated, not `format!`ed (1.7 % of `/v1/auth`).
        let mut key = String::with_capacity(self.prefix.len() + 3 + id.as_str().len());
        key.push_str(&self.prefix);
        key.push_str(":s:");
        key.push_str(id.as_str());
        key
    }

    /// `{prefix}:u:{appid:openid}`: a user's hash in the layout before entries.
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

    /// `{prefix}:un:{unionid}`: a person's hash in the layout before entries.
    pub(super) fn union(&self, unionid: &str) -> String {
        format!("{}:un:{{{unionid}}}", self.prefix)
    }

    /// The app registry's keys: records, appids, revision, change log (`{apps}`: one slot).
    pub(super) fn apps(&self) -> [String; 4] {
        ["rec", "ids", "rev", "log"].map(|k| format!("{}:{{apps}}:{k}", self.prefix))
    }

    /// `{prefix}:{apps}:ticket`: the platform's verify ticket, sealed (no TTL).
    pub(super) fn component_ticket(&self) -> String {
        format!("{}:{{apps}}:ticket", self.prefix)
    }

    /// `{prefix}:ph:{appid:openid}`: a remembered phone number, sealed.
    pub(super) fn phone(&self, appid: &str, openid: &str) -> String {
        format!("{}:ph:{{{appid}:{openid}}}", self.prefix)
    }

    /// `{prefix}:pq:{appid}`: the app's last phone-quota reading.
    pub(super) fn phone_quota(&self, appid: &str) -> String {
        format!("{}:pq:{{{appid}}}", self.prefix)
    }

    /// `{prefix}:lk:<name>`: a lock (`SET NX EX`), e.g. one refresher per app.
    pub(super) fn lock(&self, name: &str) -> String {
        format!("{}:lk:{name}", self.prefix)
    }
}
