//! Rate-limit counters in Redis.

use redis::AsyncCommands as _;

use super::{RedisStore, failed};
use crate::store::{Counters, StoreError};

#[async_trait::async_trait]
impl Counters for RedisStore {
    async fn hit(&self, key: &str, window_secs: u64) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let key = self.keys.counter(key);
        let (count,): (u64,) = redis::pipe()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window_secs)
            .arg("NX")
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(count)
    }

    async fn count(&self, key: &str) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let count: Option<u64> = conn.get(self.keys.counter(key)).await.map_err(failed)?;
        Ok(count.unwrap_or(0))
    }
}
