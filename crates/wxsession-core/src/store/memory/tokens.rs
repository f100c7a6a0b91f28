//! Access tokens and locks in memory.

use std::collections::HashMap;

use super::{Expiry, MemoryStore};
use crate::domain::clock::millis;
use crate::domain::ids::AppId;
use crate::store::{LockOwner, StoreError, Tickets, Tokens};

/// The value of `map[key]` while it has not expired.
fn live<'a>(
    map: &'a HashMap<String, (String, Expiry)>,
    key: &str,
    now: Expiry,
) -> Option<&'a (String, Expiry)> {
    map.get(key).filter(|(_, exp)| *exp > now)
}

#[async_trait::async_trait]
impl Tokens for MemoryStore {
    async fn access_token(&self, appid: &AppId) -> Result<Option<(String, u64)>, StoreError> {
        let now = self.now();
        let inner = self.lock();
        Ok(live(&inner.tokens, appid.as_str(), now)
            .map(|(t, exp)| (t.clone(), (exp - now).div_euclid(1000).unsigned_abs())))
    }

    async fn put_access_token(
        &self,
        appid: &AppId,
        token: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let expires = self.now() + millis(ttl_secs.max(1));
        self.lock()
            .tokens
            .insert(appid.to_string(), (token.to_owned(), expires));
        Ok(())
    }

    async fn drop_access_token(
        &self,
        appid: &AppId,
        token: &str,
        dead_ttl_secs: u64,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        let current = live(&inner.tokens, appid.as_str(), now).is_some_and(|(t, _)| t == token);
        if current {
            inner.tokens.remove(appid.as_str());
        }
        let dead_until = now + millis(dead_ttl_secs.max(1));
        inner
            .dead_tokens
            .insert(appid.to_string(), (token.to_owned(), dead_until));
        Ok(current)
    }

    async fn dead_access_token(&self, appid: &AppId) -> Result<Option<String>, StoreError> {
        let inner = self.lock();
        Ok(live(&inner.dead_tokens, appid.as_str(), self.now()).map(|(t, _)| t.clone()))
    }

    async fn try_lock(&self, name: &str, ttl_secs: u64) -> Result<Option<LockOwner>, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        if inner.locks.get(name).is_some_and(|(_, exp)| *exp > now) {
            return Ok(None);
        }
        let owner = LockOwner::new();
        inner.locks.insert(
            name.to_owned(),
            (owner.clone(), now + millis(ttl_secs.max(1))),
        );
        Ok(Some(owner))
    }

    async fn unlock(&self, name: &str, owner: &LockOwner) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.locks.get(name).is_some_and(|(held, _)| held == owner) {
            inner.locks.remove(name);
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Tickets for MemoryStore {
    async fn put_component_ticket(&self, record: &[u8]) -> Result<(), StoreError> {
        self.lock().component_ticket = Some(record.to_vec());
        Ok(())
    }

    async fn component_ticket(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().component_ticket.clone())
    }
}
