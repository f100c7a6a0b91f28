//! The in-memory store: one process only, for `wxsession dev` and tests. Same semantics as
//! Redis, expiry included; its expiry runs on the store's clock (`domain::clock`), so a test
//! clock moves it.

mod apps;
mod codes;
mod counters;
mod phones;
mod tokens;
mod unions;

use crate::domain::ids::{AppId, OpenId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{NewSession, SessionRecord, Sessions, Store, StoreError, Touched};
use crate::domain::clock::{self, Clock, millis};
use crate::domain::token::SessionId;

/// When an entry expires: milliseconds since the epoch, on the store's clock.
type Expiry = i64;

#[derive(Debug, Default)]
struct User {
    keys: Vec<String>,
    /// Session ids, oldest first.
    sessions: Vec<String>,
    expires: Option<Expiry>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, (SessionRecord, Expiry)>,
    users: HashMap<(String, String), User>,
    codes: HashMap<String, (Vec<u8>, Expiry)>,
    counters: HashMap<String, (u64, Expiry)>,
    /// appid → (token, expiry): the live ones, and the ones WeChat refused.
    tokens: HashMap<String, (String, Expiry)>,
    dead_tokens: HashMap<String, (String, Expiry)>,
    locks: HashMap<String, (crate::store::LockOwner, Expiry)>,
    /// unionid → (accounts, expiry).
    unions: HashMap<String, (Vec<super::UnionAccount>, Expiry)>,
    /// The app registry (records without expiry).
    apps: apps::Registry,
    /// (appid, openid) → (sealed number, expiry).
    phones: HashMap<(String, String), (Vec<u8>, Expiry)>,
    /// appid → (quota reading, expiry).
    phone_quotas: HashMap<String, (Vec<u8>, Expiry)>,
    /// The platform's verify ticket record (no expiry).
    component_ticket: Option<Vec<u8>>,
    writes: u64,
}

impl Inner {
    /// Drops expired entries now and then, so that memory stays bounded.
    fn sweep(&mut self, now: Expiry) {
        self.writes += 1;
        if !self.writes.is_multiple_of(1024) {
            return;
        }
        self.sessions.retain(|_, (_, exp)| *exp > now);
        self.codes.retain(|_, (_, exp)| *exp > now);
        self.counters.retain(|_, (_, exp)| *exp > now);
        self.locks.retain(|_, (_, exp)| *exp > now);
        self.users.retain(|_, u| u.expires.is_none_or(|e| e > now));
        self.unions.retain(|_, (_, exp)| *exp > now);
        self.phones.retain(|_, (_, exp)| *exp > now);
        self.phone_quotas.retain(|_, (_, exp)| *exp > now);
    }
}

/// An in-process store.
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    max_lifetime_secs: u64,
    clock: Arc<dyn Clock>,
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new(max_lifetime_secs: u64) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_lifetime_secs,
            clock: clock::system(),
        }
    }

    /// The same store on `clock`.
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Now, in milliseconds on the store's clock.
    fn now(&self) -> Expiry {
        self.clock.now_millis()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn user_key(appid: &str, openid: &str) -> (String, String) {
    (appid.to_owned(), openid.to_owned())
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn eviction_policy(&self) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    async fn server_version(&self) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl Sessions for MemoryStore {
    async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        inner.sweep(now);
        let Inner {
            users, sessions, ..
        } = &mut *inner;
        let user = users
            .entry(user_key(
                new.record.appid.as_str(),
                new.record.openid.as_str(),
            ))
            .or_default();
        if user.expires.is_some_and(|e| e <= now) {
            *user = User::default();
        }
        if let Some(key) = new.session_key
            && user.keys.first().map(String::as_str) != Some(key)
        {
            user.keys.insert(0, key.to_owned());
            user.keys.truncate(2);
        }
        // Forget sessions that have died, so the list does not grow with every login; then
        // revoke the oldest beyond the bound.
        user.sessions
            .retain(|id| sessions.get(id).is_some_and(|(_, exp)| *exp > now));
        user.sessions.push(new.id.as_str().to_owned());
        let max = usize::try_from(new.max_sessions.max(1)).unwrap_or(usize::MAX);
        let excess = user.sessions.len().saturating_sub(max);
        for id in user.sessions.drain(..excess) {
            sessions.remove(&id);
        }
        user.expires = Some(now + millis(self.max_lifetime_secs));
        let ttl = new.idle_ttl_secs.min(self.max_lifetime_secs);
        sessions.insert(
            new.id.as_str().to_owned(),
            (new.record.clone(), now + millis(ttl)),
        );
        Ok(())
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        idle_ttl_secs: u64,
    ) -> Result<Option<Touched>, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        let Some((record, expires)) = inner.sessions.get_mut(id.as_str()) else {
            return Ok(None);
        };
        let left = record.deadline.saturating_sub(now.div_euclid(1000));
        let ttl = i64::try_from(idle_ttl_secs).unwrap_or(i64::MAX).min(left);
        if *expires <= now || ttl <= 0 {
            inner.sessions.remove(id.as_str());
            return Ok(None);
        }
        let ttl_secs = ttl.unsigned_abs();
        *expires = now + millis(ttl_secs);
        Ok(Some(Touched {
            record: record.clone(),
            ttl_secs,
        }))
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        let Some((record, expires)) = inner.sessions.remove(id.as_str()) else {
            return Ok(false);
        };
        if let Some(user) = inner
            .users
            .get_mut(&user_key(record.appid.as_str(), record.openid.as_str()))
        {
            user.sessions.retain(|s| s != id.as_str());
        }
        Ok(expires > now)
    }

    async fn user_keys(&self, appid: &AppId, openid: &OpenId) -> Result<Vec<String>, StoreError> {
        let now = self.now();
        let inner = self.lock();
        Ok(inner
            .users
            .get(&user_key(appid.as_str(), openid.as_str()))
            .filter(|u| u.expires.is_none_or(|e| e > now))
            .map(|u| u.keys.clone())
            .unwrap_or_default())
    }

    async fn revoke_user(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        let Some(user) = inner
            .users
            .remove(&user_key(appid.as_str(), openid.as_str()))
        else {
            return Ok(0);
        };
        let mut revoked = 0;
        for id in user.sessions {
            if inner
                .sessions
                .remove(&id)
                .is_some_and(|(_, expires)| expires > now)
            {
                revoked += 1;
            }
        }
        Ok(revoked)
    }

    async fn rotate_user_key(
        &self,
        appid: &AppId,
        openid: &OpenId,
        session_key: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        let user = inner
            .users
            .entry(user_key(appid.as_str(), openid.as_str()))
            .or_default();
        if user.expires.is_some_and(|e| e <= now) {
            *user = User::default();
        }
        if user.keys.first().map(String::as_str) != Some(session_key) {
            user.keys.insert(0, session_key.to_owned());
            user.keys.truncate(2);
        }
        user.expires = Some(now + millis(ttl_secs));
        Ok(())
    }
}
