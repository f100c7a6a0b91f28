//! The session store: a small trait with a Redis and an in-memory implementation that pass the
//! same conformance suite (`tests/api/store.rs`).

mod memory;
mod redis;

pub use self::memory::MemoryStore;
pub use self::redis::{RedisStore, Topology};

use crate::token::SessionId;

/// What a session remembers. The raw token and the `session_key` are not in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The app the user logged into.
    pub appid: String,
    /// The user's openid in that app.
    pub openid: String,
    /// The user's unionid, when WeChat gave one.
    pub unionid: Option<String>,
    /// Login time, unix seconds.
    pub created_at: i64,
    /// Absolute expiry, unix seconds (`created_at + max_lifetime`; derived, not stored).
    pub deadline: i64,
}

impl SessionRecord {
    /// The compact stored form: `created_at|appid|openid|unionid`. The deadline is not stored:
    /// it is `created_at` plus the configured maximum lifetime.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.created_at,
            self.appid,
            self.openid,
            self.unionid.as_deref().unwrap_or("")
        )
    }

    /// Parses the stored form.
    pub fn decode(text: &str, max_lifetime_secs: u64) -> Option<Self> {
        let mut parts = text.splitn(4, '|');
        let created_at: i64 = parts.next()?.parse().ok()?;
        let deadline =
            created_at.saturating_add(i64::try_from(max_lifetime_secs).unwrap_or(i64::MAX));
        let appid = parts.next()?.to_owned();
        let openid = parts.next()?.to_owned();
        let unionid = parts.next()?;
        Some(Self {
            appid,
            openid,
            unionid: (!unionid.is_empty()).then(|| unionid.to_owned()),
            created_at,
            deadline,
        })
    }

    /// Whether every id follows the one rule (`crate::ids`), so that none can break the stored
    /// form, a key, a header or a log line.
    pub fn is_storable(&self) -> bool {
        use crate::ids::is_valid_id;
        is_valid_id(&self.appid)
            && is_valid_id(&self.openid)
            && self.unionid.as_deref().is_none_or(is_valid_id)
    }
}

/// A session that a lookup found, with the idle TTL it now has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    /// The session.
    pub record: SessionRecord,
    /// Seconds until it expires unless used again.
    pub ttl_secs: u64,
}

/// A new session to store, together with the user's fresh `session_key`.
#[derive(Debug)]
pub struct NewSession<'a> {
    /// The hashed token.
    pub id: &'a SessionId,
    /// What to remember.
    pub record: &'a SessionRecord,
    /// The `session_key` WeChat issued at this login (base64 text).
    pub session_key: &'a str,
    /// The first idle TTL.
    pub idle_ttl_secs: u64,
    /// The most sessions the user may have; the oldest beyond it are revoked.
    pub max_sessions: u64,
}

/// The state of a code exchange, shared by every replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeClaim {
    /// This caller holds the lock and must exchange the code.
    Acquired,
    /// Another caller is exchanging it right now.
    Pending,
    /// The exchange finished; this is its sealed answer.
    Done(Vec<u8>),
}

/// A store failure. Its text never reaches a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed or could not be reached.
    #[error("store unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The backend did not answer in time.
    #[error("store timed out")]
    Timeout,
}

/// The operations the service needs. Every key the implementations write expires.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Checks that the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a session, registers it under its user and rotates the user's keys (newest first,
    /// previous kept).
    async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError>;

    /// Finds a session and pushes its idle expiry out, never past its deadline. One round trip.
    async fn touch_session(
        &self,
        id: &SessionId,
        idle_ttl_secs: u64,
    ) -> Result<Option<Touched>, StoreError>;

    /// Deletes a session; true when it existed.
    async fn delete_session(&self, id: &SessionId) -> Result<bool, StoreError>;

    /// The user's session keys, newest first (at most two).
    async fn user_keys(&self, appid: &str, openid: &str) -> Result<Vec<String>, StoreError>;

    /// Deletes every session of the user and the user's keys; returns how many sessions died.
    async fn revoke_user(&self, appid: &str, openid: &str) -> Result<u64, StoreError>;

    /// Claims the exchange of a code (`SET NX`), or reports it pending or done.
    async fn claim_code(&self, code_id: &str, lock_ttl_secs: u64) -> Result<CodeClaim, StoreError>;

    /// Stores the sealed answer of a code for `ttl_secs`.
    async fn finish_code(
        &self,
        code_id: &str,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError>;

    /// Drops the claim so that the code can be tried again (after a transient failure).
    async fn release_code(&self, code_id: &str) -> Result<(), StoreError>;

    /// Adds one to a rate-limit counter that expires `window_secs` after its first hit; returns
    /// the new count.
    async fn hit(&self, key: &str, window_secs: u64) -> Result<u64, StoreError>;

    /// Takes one back from a rate-limit counter, if it still exists (never creating one).
    async fn unhit(&self, key: &str) -> Result<(), StoreError>;
}

/// The marker value of a claimed code; sealed answers are always longer.
pub(crate) const PENDING: &[u8] = b"p";

/// Seconds since the epoch.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_stays_small() {
        let record = SessionRecord {
            appid: "wx1234567890abcdef".into(),
            openid: "oGZUI0egBJY1zhBYw2KhdUfwVJJE".into(),
            unionid: Some("ocMvos6NjeKLIBqg5Mr9QjxrP1FA".into()),
            created_at: 1_700_000_000,
            deadline: 1_702_592_000,
        };
        let text = record.encode();
        assert!(text.len() <= 200, "{}", text.len());
        assert_eq!(
            SessionRecord::decode(&text, 2_592_000),
            Some(record.clone())
        );
        let no_union = SessionRecord {
            unionid: None,
            ..record
        };
        assert_eq!(
            SessionRecord::decode(&no_union.encode(), 2_592_000),
            Some(no_union)
        );
        assert_eq!(SessionRecord::decode("garbage", 1), None);
    }
}
