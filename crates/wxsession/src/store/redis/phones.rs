//! Remembered phone numbers and quota readings in Redis: one key each, with a TTL.

use redis::AsyncCommands as _;

use super::{RedisStore, failed};
use crate::domain::ids::{AppId, OpenId};
use crate::store::{Phones, StoreError};

#[async_trait::async_trait]
impl Phones for RedisStore {
    async fn remember_phone(
        &self,
        appid: &AppId,
        openid: &OpenId,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.set_ex(
            self.keys.phone(appid.as_str(), openid.as_str()),
            sealed,
            ttl_secs.max(1),
        )
        .await
        .map_err(failed)
    }

    async fn remembered_phone(
        &self,
        appid: &AppId,
        openid: &OpenId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.phone(appid.as_str(), openid.as_str()))
            .await
            .map_err(failed)
    }

    async fn forget_phone(&self, appid: &AppId, openid: &OpenId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let deleted: u64 = conn
            .del(self.keys.phone(appid.as_str(), openid.as_str()))
            .await
            .map_err(failed)?;
        Ok(deleted > 0)
    }

    async fn put_phone_quota(
        &self,
        appid: &AppId,
        reading: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.set_ex(
            self.keys.phone_quota(appid.as_str()),
            reading,
            ttl_secs.max(1),
        )
        .await
        .map_err(failed)
    }

    async fn phone_quota(&self, appid: &AppId) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.phone_quota(appid.as_str()))
            .await
            .map_err(failed)
    }
}
