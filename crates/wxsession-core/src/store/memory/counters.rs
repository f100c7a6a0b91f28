//! Rate-limit counters in memory.

use super::MemoryStore;
use crate::domain::clock::millis;
use crate::store::{Counters, StoreError};

#[async_trait::async_trait]
impl Counters for MemoryStore {
    async fn hit(&self, key: &str, window_secs: u64) -> Result<u64, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        inner.sweep(now);
        let entry = inner
            .counters
            .entry(key.to_owned())
            .or_insert((0, now + millis(window_secs)));
        if entry.1 <= now {
            *entry = (0, now + millis(window_secs));
        }
        entry.0 += 1;
        Ok(entry.0)
    }

    async fn count(&self, key: &str) -> Result<u64, StoreError> {
        let now = self.now();
        Ok(self
            .lock()
            .counters
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map_or(0, |(n, _)| *n))
    }
}
