//! Rate-limit counters in Redis.

use super::{RedisStore, unavailable};
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
            .map_err(unavailable)?;
        Ok(count)
    }

    async fn unhit(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        self.scripts
            .unhit
            .key(self.keys.counter(key))
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
