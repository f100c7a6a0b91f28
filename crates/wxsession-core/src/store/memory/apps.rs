//! The app registry in memory: the records, their revision and a bounded change log.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::MemoryStore;
use crate::domain::ids::AppId;
use crate::store::{AppChange, AppFeed, AppRecords, AppSnapshot, Durability, StoreError};

/// How many changes the log keeps; a reader further behind reads everything again.
pub(super) const LOG_LEN: usize = 10_000;

/// The registry's records and change log.
#[derive(Debug, Default)]
pub(super) struct Registry {
    records: BTreeMap<String, Vec<u8>>,
    rev: u64,
    /// (revision, appid) of the newest changes, oldest first.
    log: VecDeque<(u64, AppId)>,
}

impl Registry {
    fn logged(&mut self, appid: &AppId) {
        self.rev += 1;
        self.log.push_back((self.rev, appid.clone()));
        if self.log.len() > LOG_LEN {
            self.log.pop_front();
        }
    }
}

#[async_trait::async_trait]
impl AppRecords for MemoryStore {
    async fn put_app(&self, appid: &AppId, record: &[u8]) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let created = inner
            .apps
            .records
            .insert(appid.to_string(), record.to_vec())
            .is_none();
        inner.apps.logged(appid);
        Ok(created)
    }

    async fn replace_app(
        &self,
        appid: &AppId,
        expected: &[u8],
        record: &[u8],
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        match inner.apps.records.get_mut(appid.as_str()) {
            Some(current) if current.as_slice() == expected => *current = record.to_vec(),
            _ => return Ok(false),
        }
        inner.apps.logged(appid);
        Ok(true)
    }

    async fn delete_app(&self, appid: &AppId) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let existed = inner.apps.records.remove(appid.as_str()).is_some();
        if existed {
            inner.apps.logged(appid);
        }
        Ok(existed)
    }

    async fn app_record(&self, appid: &AppId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().apps.records.get(appid.as_str()).cloned())
    }

    async fn list_apps(
        &self,
        after: Option<&AppId>,
        limit: usize,
    ) -> Result<Vec<(AppId, Vec<u8>)>, StoreError> {
        let inner = self.lock();
        let start = match after {
            Some(after) => std::ops::Bound::Excluded(after.to_string()),
            None => std::ops::Bound::Unbounded,
        };
        Ok(inner
            .apps
            .records
            .range((start, std::ops::Bound::Unbounded))
            .take(limit)
            .map(|(id, record)| (AppId::from_stored(id), record.clone()))
            .collect())
    }

    async fn app_snapshot(&self) -> Result<AppSnapshot, StoreError> {
        let inner = self.lock();
        Ok(AppSnapshot {
            rev: inner.apps.rev,
            apps: inner
                .apps
                .records
                .iter()
                .map(|(id, record)| (AppId::from_stored(id), record.clone()))
                .collect(),
        })
    }

    async fn app_changes(&self, after: u64) -> Result<AppFeed, StoreError> {
        let inner = self.lock();
        let registry = &inner.apps;
        if after == registry.rev {
            return Ok(AppFeed::Changes {
                rev: after,
                changes: Vec::new(),
            });
        }
        // The log must hold the change right after `after`.
        let reaches = registry
            .log
            .front()
            .is_some_and(|(first, _)| *first <= after + 1);
        if after > registry.rev || !reaches {
            return Ok(AppFeed::Reload);
        }
        let changed: BTreeSet<&AppId> = registry
            .log
            .iter()
            .filter(|(rev, _)| *rev > after)
            .map(|(_, appid)| appid)
            .collect();
        Ok(AppFeed::Changes {
            rev: registry.rev,
            changes: changed
                .into_iter()
                .map(|appid| AppChange {
                    appid: appid.clone(),
                    record: registry.records.get(appid.as_str()).cloned(),
                })
                .collect(),
        })
    }

    async fn durability(&self) -> Result<Durability, StoreError> {
        Ok(Durability::NotDurable(
            "the in-memory store keeps nothing across a restart".into(),
        ))
    }
}
