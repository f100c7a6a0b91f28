//! One-time codes in Redis: `SET NX GET` claims, sealed answers.

use redis::AsyncCommands as _;

use super::{RedisStore, failed};
use crate::store::{CodeClaim, Codes, PENDING, StoreError};

#[async_trait::async_trait]
impl Codes for RedisStore {
    async fn claim_code(&self, code_id: &str, lock_ttl_secs: u64) -> Result<CodeClaim, StoreError> {
        let mut conn = self.conn().await?;
        let previous: Option<Vec<u8>> = redis::cmd("SET")
            .arg(self.keys.code(code_id))
            .arg(PENDING)
            .arg("NX")
            .arg("GET")
            .arg("EX")
            .arg(lock_ttl_secs)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(match previous {
            None => CodeClaim::Acquired,
            Some(v) if v == PENDING => CodeClaim::Pending,
            Some(v) => CodeClaim::Done(v),
        })
    }

    async fn finish_code(
        &self,
        code_id: &str,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.set_ex(self.keys.code(code_id), sealed, ttl_secs)
            .await
            .map_err(failed)
    }

    async fn release_code(&self, code_id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.del(self.keys.code(code_id)).await.map_err(failed)
    }

    async fn take_code(&self, code_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn().await?;
        conn.get_del(self.keys.code(code_id)).await.map_err(failed)
    }
}
