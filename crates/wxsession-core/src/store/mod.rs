//! The session store: small traits — sessions, codes, counters — with a Redis and an in-memory
//! implementation that pass the same conformance suite (`tests/api/store`). The store knows ids,
//! tokens and the clock, nothing of the domain's rules.

mod apps;
pub mod cache;
mod lock;
mod memory;
mod record;
mod tickets;
pub mod timed;

pub use self::apps::{AppChange, AppFeed, AppRecords, AppSnapshot, Durability};
pub use self::lock::LockOwner;
pub use self::memory::MemoryStore;
pub use self::record::SessionRecord;
pub use self::tickets::Tickets;

use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::domain::token::SessionId;

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
    /// The `session_key` WeChat issued at this login (base64 text, or its sealed form); `None`
    /// for the app kinds that have none (mobile, web): the user's keys are left as they are.
    pub session_key: Option<&'a str>,
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
    /// The backend refused a write for lack of memory (Redis `OOM`: `maxmemory` reached under
    /// `noeviction`). Reads, expiry changes and deletes still work.
    #[error("store full")]
    Full,
    /// The backend is a version the store cannot work with (a Redis older than 7.0); the text
    /// says which server and what is needed.
    #[error("{0}")]
    Unsupported(String),
}

/// Sessions and the per-user entry (keys, session list). Every key written expires.
#[async_trait::async_trait]
pub trait Sessions: Send + Sync {
    /// Stores a session, registers it under its user and rotates the user's keys (newest first,
    /// previous kept); revokes the user's oldest sessions beyond `max_sessions`.
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
    async fn user_keys(&self, appid: &AppId, openid: &OpenId) -> Result<Vec<String>, StoreError>;

    /// Deletes every session of the user and the user's keys; returns how many sessions died.
    async fn revoke_user(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError>;

    /// Makes `session_key` the user's newest key, the newest so far the previous one (a key
    /// WeChat issued outside a login, e.g. `resetUserSessionKey`). The user's entry keeps `ttl_secs`.
    async fn rotate_user_key(
        &self,
        appid: &AppId,
        openid: &OpenId,
        session_key: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError>;
}

/// One-time codes: a claim while exchanging, then a sealed answer for the code's lifetime.
#[async_trait::async_trait]
pub trait Codes: Send + Sync {
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

    /// Takes a value stored with [`Codes::finish_code`] and deletes it, atomically (`GETDEL`):
    /// single-use values such as a web login's `state`. `None` when absent or expired.
    async fn take_code(&self, code_id: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Rate-limit counters in fixed windows.
#[async_trait::async_trait]
pub trait Counters: Send + Sync {
    /// Adds one to a counter that expires `window_secs` after its first hit; returns the new
    /// count.
    async fn hit(&self, key: &str, window_secs: u64) -> Result<u64, StoreError>;

    /// The current value of a counter (0 when absent).
    async fn count(&self, key: &str) -> Result<u64, StoreError>;
}

/// An app's access_token, shared by every replica, and the locks that keep its refresh to one
/// replica at a time.
#[async_trait::async_trait]
pub trait Tokens: Send + Sync {
    /// The app's stored token and its seconds left.
    async fn access_token(&self, appid: &AppId) -> Result<Option<(String, u64)>, StoreError>;

    /// Stores the app's token for `ttl_secs`.
    async fn put_access_token(
        &self,
        appid: &AppId,
        token: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError>;

    /// Deletes the app's token only if it is still `token`, and remembers `token` as dead for
    /// `dead_ttl_secs`; true when it was deleted.
    async fn drop_access_token(
        &self,
        appid: &AppId,
        token: &str,
        dead_ttl_secs: u64,
    ) -> Result<bool, StoreError>;

    /// A token of the app recently refused by WeChat, if any.
    async fn dead_access_token(&self, appid: &AppId) -> Result<Option<String>, StoreError>;

    /// Takes the lock `name` for `ttl_secs` if nobody holds it (`SET NX` of a random owner);
    /// the owner when taken.
    async fn try_lock(&self, name: &str, ttl_secs: u64) -> Result<Option<LockOwner>, StoreError>;

    /// Releases the lock `name` if `owner` still holds it: one that outlived its TTL and was
    /// taken by another replica stays that replica's.
    async fn unlock(&self, name: &str, owner: &LockOwner) -> Result<(), StoreError>;
}

/// One of a person's accounts, as the unionid index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionAccount {
    /// The app.
    pub appid: AppId,
    /// The person's openid in it.
    pub openid: OpenId,
    /// The last login there, unix seconds.
    pub last_login: i64,
}

/// The unionid index: which accounts `(appid, openid)` are one person. Small (one entry per
/// app at most), one entry per unionid, dead `ttl_secs` after the person's newest login.
#[async_trait::async_trait]
pub trait Unions: Send + Sync {
    /// Records a login of `(appid, openid)` as `unionid`'s at `at` (unix seconds); the entry
    /// and the index live `ttl_secs` from now.
    async fn link_account(
        &self,
        unionid: &UnionId,
        account: &UnionAccount,
        ttl_secs: u64,
    ) -> Result<(), StoreError>;

    /// The person's accounts, newest login first; entries older than `ttl_secs` are pruned.
    async fn union_accounts(
        &self,
        unionid: &UnionId,
        ttl_secs: u64,
    ) -> Result<Vec<UnionAccount>, StoreError>;

    /// How many sessions of `(appid, openid)` are alive.
    async fn live_sessions(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError>;
}

/// Remembered phone numbers (sealed by the caller: the store sees bytes) per (appid, openid),
/// and the last reading of each app's phone-number quota. Every key written expires.
#[async_trait::async_trait]
pub trait Phones: Send + Sync {
    /// Keeps the user's sealed number for `ttl_secs`, replacing any earlier one.
    async fn remember_phone(
        &self,
        appid: &AppId,
        openid: &OpenId,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError>;

    /// The user's sealed number, while it lives.
    async fn remembered_phone(
        &self,
        appid: &AppId,
        openid: &OpenId,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Forgets the user's number; true when there was one.
    async fn forget_phone(&self, appid: &AppId, openid: &OpenId) -> Result<bool, StoreError>;

    /// Keeps the app's last quota reading for `ttl_secs`.
    async fn put_phone_quota(
        &self,
        appid: &AppId,
        reading: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError>;

    /// The app's last quota reading, while it lives.
    async fn phone_quota(&self, appid: &AppId) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Everything the service keeps, plus a health check.
#[async_trait::async_trait]
pub trait Store:
    Sessions + Codes + Counters + Tokens + Unions + Phones + AppRecords + Tickets + std::fmt::Debug
{
    /// Checks that the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The backend's eviction policy (`maxmemory-policy`), where it has one. Every key has a
    /// TTL, so any `volatile-*` or `allkeys-*` policy would log users out as memory fills.
    async fn eviction_policy(&self) -> Result<Option<String>, StoreError>;

    /// The backend's server version (the oldest of a Cluster's masters), `None` for a store
    /// without one (memory); [`StoreError::Unsupported`] when a server is older than the store
    /// needs.
    async fn server_version(&self) -> Result<Option<String>, StoreError>;

    /// Counts into `counter` (label `kind`: `user`, `person`) each read that finds what an
    /// earlier layout wrote; a store that never had one counts nothing.
    fn count_old_layout_reads(&self, counter: prometheus::IntCounterVec) {
        let _ = counter;
    }

    /// This replica's cache of validations, where the store keeps one ([`cache`]): the domain
    /// asks it before the store, and an app deleted at runtime is forgotten in it
    /// ([`cache::SessionCache::forget_app`]).
    fn session_cache(&self) -> Option<&cache::SessionCache> {
        None
    }
}

/// The marker value of a claimed code; sealed answers are always longer.
pub const PENDING: &[u8] = b"p";
