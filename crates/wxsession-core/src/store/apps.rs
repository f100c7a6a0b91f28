//! The app registry's store trait: records without a TTL and the change log replicas follow.

use super::StoreError;
use crate::domain::ids::AppId;

/// One change of the app registry: the app's record as it is now (`None`: deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppChange {
    /// The app.
    pub appid: AppId,
    /// Its stored record now, or `None` when it no longer exists.
    pub record: Option<Vec<u8>>,
}

/// What a replica needs to follow the registry from `rev` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppFeed {
    /// The changes after the asked revision, and the revision they bring the reader to.
    Changes {
        /// The registry's revision after these changes.
        rev: u64,
        /// The apps that changed (each once, as it is now).
        changes: Vec<AppChange>,
    },
    /// The change log no longer reaches back to the asked revision: read everything again
    /// ([`AppRecords::app_snapshot`]).
    Reload,
}

/// Every app record at one revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSnapshot {
    /// The registry's revision.
    pub rev: u64,
    /// Every app and its record.
    pub apps: Vec<(AppId, Vec<u8>)>,
}

/// Whether the store keeps what it is given across a restart (§ "durable or refused").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Durability {
    /// It does (Redis with AOF on and no `allkeys-*` eviction).
    Durable,
    /// It does not; the text says why, in an operator's words.
    NotDurable(String),
}

/// The apps added at runtime (and by the third-party platform): records without a TTL, opaque
/// to the store, with a change log every replica follows. Each write changes one record and
/// logs it atomically: a half-written app is never visible, concurrent writes end with one.
#[async_trait::async_trait]
pub trait AppRecords: Send + Sync {
    /// Writes an app's record (whole) and logs the change; true when the app is new.
    async fn put_app(&self, appid: &AppId, record: &[u8]) -> Result<bool, StoreError>;

    /// Replaces an app's record only if it is still `expected` (compare-and-set) and logs the
    /// change; true when it was replaced.
    async fn replace_app(
        &self,
        appid: &AppId,
        expected: &[u8],
        record: &[u8],
    ) -> Result<bool, StoreError>;

    /// Deletes an app's record and logs the change; true when it existed.
    async fn delete_app(&self, appid: &AppId) -> Result<bool, StoreError>;

    /// One app's record.
    async fn app_record(&self, appid: &AppId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` apps in appid order, starting after `after`.
    async fn list_apps(
        &self,
        after: Option<&AppId>,
        limit: usize,
    ) -> Result<Vec<(AppId, Vec<u8>)>, StoreError>;

    /// Every record and the revision they are at, read at once.
    async fn app_snapshot(&self) -> Result<AppSnapshot, StoreError>;

    /// The changes after revision `after`.
    async fn app_changes(&self, after: u64) -> Result<AppFeed, StoreError>;

    /// Whether records written now would survive a restart of the store.
    async fn durability(&self) -> Result<Durability, StoreError>;
}
