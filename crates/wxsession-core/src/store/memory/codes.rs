//! One-time codes in memory.

use super::MemoryStore;
use crate::domain::clock::millis;
use crate::store::{CodeClaim, Codes, PENDING, StoreError};

#[async_trait::async_trait]
impl Codes for MemoryStore {
    async fn claim_code(&self, code_id: &str, lock_ttl_secs: u64) -> Result<CodeClaim, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        inner.sweep(now);
        match inner.codes.get(code_id) {
            Some((value, expires)) if *expires > now => {
                return Ok(if value == PENDING {
                    CodeClaim::Pending
                } else {
                    CodeClaim::Done(value.clone())
                });
            }
            _ => {}
        }
        let expires = now + millis(lock_ttl_secs);
        inner
            .codes
            .insert(code_id.to_owned(), (PENDING.to_vec(), expires));
        Ok(CodeClaim::Acquired)
    }

    async fn finish_code(
        &self,
        code_id: &str,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let expires = self.now() + millis(ttl_secs);
        self.lock()
            .codes
            .insert(code_id.to_owned(), (sealed.to_vec(), expires));
        Ok(())
    }

    async fn release_code(&self, code_id: &str) -> Result<(), StoreError> {
        self.lock().codes.remove(code_id);
        Ok(())
    }

    async fn take_code(&self, code_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.now();
        Ok(self
            .lock()
            .codes
            .remove(code_id)
            .filter(|(_, expires)| *expires > now)
            .map(|(value, _)| value))
    }
}
