//! Access tokens and locks in Redis.

use redis::AsyncCommands as _;

use super::{RedisStore, failed};
use crate::domain::ids::AppId;
use crate::store::{LockOwner, StoreError, Tickets, Tokens};

#[async_trait::async_trait]
impl Tokens for RedisStore {
    async fn access_token(&self, appid: &AppId) -> Result<Option<(String, u64)>, StoreError> {
        let mut conn = self.conn().await?;
        let key = self.keys.access_token(appid.as_str());
        let (token, ttl): (Option<String>, i64) = redis::pipe()
            .get(&key)
            .ttl(&key)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(token.map(|t| (t, ttl.max(0).unsigned_abs())))
    }

    async fn put_access_token(
        &self,
        appid: &AppId,
        token: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.set_ex(
            self.keys.access_token(appid.as_str()),
            token,
            ttl_secs.max(1),
        )
        .await
        .map_err(failed)
    }

    async fn drop_access_token(
        &self,
        appid: &AppId,
        token: &str,
        dead_ttl_secs: u64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let dropped: i64 = self
            .scripts
            .drop_token
            .key(self.keys.access_token(appid.as_str()))
            .key(self.keys.dead_access_token(appid.as_str()))
            .arg(token)
            .arg(dead_ttl_secs.max(1))
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(dropped == 1)
    }

    async fn dead_access_token(&self, appid: &AppId) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.dead_access_token(appid.as_str()))
            .await
            .map_err(failed)
    }

    async fn try_lock(&self, name: &str, ttl_secs: u64) -> Result<Option<LockOwner>, StoreError> {
        let mut conn = self.conn().await?;
        let owner = LockOwner::new();
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.keys.lock(name))
            .arg(owner.as_str())
            .arg("NX")
            .arg("EX")
            .arg(ttl_secs.max(1))
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(taken.map(|_| owner))
    }

    async fn unlock(&self, name: &str, owner: &LockOwner) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let _: i64 = self
            .scripts
            .unlock
            .key(self.keys.lock(name))
            .arg(owner.as_str())
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Tickets for RedisStore {
    async fn put_component_ticket(&self, record: &[u8]) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.set(self.keys.component_ticket(), record)
            .await
            .map_err(failed)
    }

    async fn component_ticket(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.component_ticket()).await.map_err(failed)
    }
}
