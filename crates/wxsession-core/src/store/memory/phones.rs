//! Remembered phone numbers and quota readings in memory.

use super::{MemoryStore, user_key};
use crate::domain::clock::millis;
use crate::domain::ids::{AppId, OpenId};
use crate::store::{Phones, StoreError};

#[async_trait::async_trait]
impl Phones for MemoryStore {
    async fn remember_phone(
        &self,
        appid: &AppId,
        openid: &OpenId,
        sealed: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        inner.sweep(now);
        inner.phones.insert(
            user_key(appid.as_str(), openid.as_str()),
            (sealed.to_vec(), now + millis(ttl_secs.max(1))),
        );
        Ok(())
    }

    async fn remembered_phone(
        &self,
        appid: &AppId,
        openid: &OpenId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.now();
        let inner = self.lock();
        Ok(inner
            .phones
            .get(&user_key(appid.as_str(), openid.as_str()))
            .filter(|(_, exp)| *exp > now)
            .map(|(sealed, _)| sealed.clone()))
    }

    async fn forget_phone(&self, appid: &AppId, openid: &OpenId) -> Result<bool, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        Ok(inner
            .phones
            .remove(&user_key(appid.as_str(), openid.as_str()))
            .is_some_and(|(_, exp)| exp > now))
    }

    async fn put_phone_quota(
        &self,
        appid: &AppId,
        reading: &[u8],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        inner.sweep(now);
        inner.phone_quotas.insert(
            appid.to_string(),
            (reading.to_vec(), now + millis(ttl_secs.max(1))),
        );
        Ok(())
    }

    async fn phone_quota(&self, appid: &AppId) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.now();
        let inner = self.lock();
        Ok(inner
            .phone_quotas
            .get(appid.as_str())
            .filter(|(_, exp)| *exp > now)
            .map(|(reading, _)| reading.clone()))
    }
}
